"""Bounded HTTP downloads over one shared ``requests.Session``.

Every download has a connect timeout, a read timeout, an overall deadline and a
size cap. Redirects are followed by hand, only to the same host and only to
allowed URLs. Every error from requests, urllib3 or the socket layer is wrapped
once into a :class:`DownloadError` subclass that names the URL.

Worst case for one call, with ``deadline_s`` from :class:`SyncConfig`:

* body: the clock is checked before every read. The socket timeout of each
  read is cut to the time left, so a server that trickles the body one byte at
  a time is cut off at about ``deadline_s`` (plus scheduling slack).
* connecting and waiting for the response headers: the connect and read
  timeouts are cut to the time left when the request starts. A silent server
  is cut off after the read timeout, and never later than ``deadline_s``.

NOTE: a server that trickles the status line and headers one byte per read
timeout, or a slow DNS resolver, can hold a call past ``deadline_s``, because
requests gives no hook between those reads and name resolution has no timeout.
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any
from urllib.parse import SplitResult, urljoin, urlsplit

import requests
import urllib3.exceptions

from kiosk import __version__
from kiosk.config import LOOPBACK_HOSTS, SyncConfig

logger = logging.getLogger(__name__)

#: Product User-Agent sent with every request.
USER_AGENT = f"kiosk/{__version__} (+passenger information kiosk)"

#: Redirects followed for one download before it fails.
MAX_REDIRECTS = 5

#: Bytes asked for per read; a read returns as soon as any bytes arrive.
CHUNK_BYTES = 64 * 1024
#: Largest error page read to the end so that its connection can be reused;
#: a longer or unsized one closes the connection instead.
MAX_DISCARDED_BODY_BYTES = 16 * 1024

_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})

#: Overrides environment proxies, so loopback requests always go direct.
_NO_PROXIES: dict[str, Any] = {"http": None, "https": None, "all": None}


class DownloadError(Exception):
    """A download failed; the message names the URL and what failed."""

    def __init__(self, url: str, problem: str = "download failed") -> None:
        super().__init__(f"{url}: {problem}")
        self.url = url
        self.problem = problem


class DownloadTimeout(DownloadError):
    """Connect or read timeout, or the overall deadline of the download passed."""


class DownloadTooLarge(DownloadError):
    """The body is larger than the caller's size cap."""


class HttpStatusError(DownloadError):
    """The server returned a status other than success; ``status`` is the code."""

    def __init__(self, url: str, status: int, reason: str = "") -> None:
        problem = f"HTTP status {status}" + (f" {reason}" if reason else "")
        super().__init__(url, problem)
        self.status = status


class DisallowedUrl(DownloadError):
    """The URL's scheme or host is not allowed, or a redirect leaves the host."""


@dataclass(frozen=True)
class Response:
    """A finished download.

    ``headers`` has lower-case names. A ``not_modified`` response has an empty
    body and carries the validators the caller sent unless the server sent new
    ones.
    """

    url: str
    status: int
    body: bytes
    headers: Mapping[str, str]
    etag: str | None
    last_modified: str | None
    not_modified: bool


class _Deadline:
    """The end of one download's time budget on the injected monotonic clock."""

    def __init__(self, clock: Callable[[], float], seconds: float) -> None:
        self._clock = clock
        self._end = clock() + seconds
        self.seconds = seconds

    def remaining(self) -> float:
        return self._end - self._clock()

    def check(self, url: str) -> float:
        """Return the seconds left, or raise once the deadline has passed."""
        left = self.remaining()
        if left <= 0:
            raise DownloadTimeout(url, f"overall deadline of {self.seconds:g} s exceeded")
        return left


def check_url(url: str, allowed_hosts: tuple[str, ...]) -> None:
    """Raise :class:`DisallowedUrl` unless the URL may be downloaded.

    https is allowed to loopback and to the allowlisted hosts; plain http only
    to loopback.
    """
    parts = _split(url)
    host = (parts.hostname or "").lower()
    if parts.scheme not in {"http", "https"} or not host:
        raise DisallowedUrl(url, "not an http(s) URL")
    if parts.scheme == "http" and host not in LOOPBACK_HOSTS:
        raise DisallowedUrl(url, "plain http is allowed only for loopback; use https")
    if host not in LOOPBACK_HOSTS and host not in allowed_hosts:
        raise DisallowedUrl(url, f"host {host} is not in sync.allowed_hosts")


def _split(url: str) -> SplitResult:
    try:
        return urlsplit(url)
    except ValueError as error:
        raise DisallowedUrl(url, f"invalid URL ({error})") from error


def _wrap(url: str, error: BaseException) -> DownloadError:
    """Translate an error from requests, urllib3 or the socket layer."""
    timeouts = (requests.Timeout, urllib3.exceptions.TimeoutError, socket.timeout, TimeoutError)
    if isinstance(error, timeouts):
        return DownloadTimeout(url, f"timed out ({error})")
    if isinstance(error, requests.exceptions.InvalidURL | requests.exceptions.MissingSchema
                  | requests.exceptions.InvalidSchema):
        return DisallowedUrl(url, f"invalid URL ({error})")
    if isinstance(error, urllib3.exceptions.DecodeError | requests.exceptions.ContentDecodingError):
        return DownloadError(url, f"invalid content encoding ({error})")
    if isinstance(error, urllib3.exceptions.ProtocolError
                  | requests.exceptions.ChunkedEncodingError):
        return DownloadError(url, f"connection broken or body truncated ({error})")
    if isinstance(error, requests.exceptions.SSLError):
        return DownloadError(url, f"TLS handshake or certificate check failed ({error})")
    if isinstance(error, requests.ConnectionError):
        return DownloadError(url, f"connection failed ({error})")
    return DownloadError(url, f"{type(error).__name__}: {error}")


class HttpClient:
    """Bounded GET requests for feeds and the signed content repository.

    One instance is used from one thread at a time: the sync worker.
    """

    def __init__(self, config: SyncConfig, user_agent: str,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._config = config
        self._clock = clock
        self._session = requests.Session()
        # Proxies come from HTTP(S)_PROXY and NO_PROXY; loopback always goes direct.
        self._session.trust_env = True
        self._session.headers["User-Agent"] = user_agent

    def get(self, url: str, *, max_bytes: int, etag: str | None = None,
            last_modified: str | None = None, accept: str | None = None) -> Response:
        """Download ``url`` into memory.

        ``etag`` and ``last_modified`` make the request conditional, and a 304
        response gives ``not_modified=True`` with an empty body. Raises a
        :class:`DownloadError` subclass for every failure.
        """
        deadline = _Deadline(self._clock, self._config.deadline_s)
        headers: dict[str, str] = {}
        if etag:
            headers["If-None-Match"] = etag
        elif last_modified:
            # A server ignores If-Modified-Since when If-None-Match is present
            # (RFC 9110, section 13.1.3), so send it only without an ETag.
            headers["If-Modified-Since"] = last_modified
        if accept:
            headers["Accept"] = accept

        response = self._open(url, headers, deadline)
        final_url = response.url
        try:
            if response.status_code == 304:
                if not headers.keys() & {"If-None-Match", "If-Modified-Since"}:
                    raise HttpStatusError(final_url, 304,
                                          "Not Modified to an unconditional request")
                logger.debug("%s not modified", final_url)
                return Response(
                    url=final_url, status=304, body=b"",
                    headers=_lower_headers(response),
                    etag=response.headers.get("ETag") or etag,
                    last_modified=response.headers.get("Last-Modified") or last_modified,
                    not_modified=True,
                )
            self._check_success_keeping_connection(response, deadline)
            body = b"".join(self._read_body(response, max_bytes, deadline))
        finally:
            response.close()

        logger.debug("%s downloaded, %d bytes", final_url, len(body))
        return Response(
            url=final_url, status=response.status_code, body=body,
            headers=_lower_headers(response),
            etag=response.headers.get("ETag"),
            last_modified=response.headers.get("Last-Modified"),
            not_modified=False,
        )

    def stream(self, url: str, *, max_bytes: int) -> Iterator[bytes]:
        """Download ``url`` as an iterator of chunks, under the same limits as :meth:`get`.

        The request is sent and its status checked before this returns; the
        deadline covers the whole transfer, including the time the caller
        spends between chunks.
        """
        deadline = _Deadline(self._clock, self._config.deadline_s)
        response = self._open(url, {}, deadline)
        try:
            self._check_success_keeping_connection(response, deadline)
        except DownloadError:
            response.close()
            raise
        return self._stream_and_close(response, max_bytes, deadline)

    def post(self, url: str, body: bytes, *, headers: Mapping[str, str],
             max_bytes: int) -> Response:
        """Send ``body`` with POST and read the response into memory, under the limits of :meth:`get`.

        Redirects are not followed: a 3xx response raises :class:`HttpStatusError`,
        so a body and its credentials never go to a URL the caller did not choose.
        Raises a :class:`DownloadError` subclass for every failure.
        """
        deadline = _Deadline(self._clock, self._config.deadline_s)
        check_url(url, self._config.allowed_hosts)
        left = deadline.check(url)
        timeout = (min(self._config.connect_timeout_s, left),
                   min(self._config.read_timeout_s, left))
        host = (_split(url).hostname or "").lower()
        proxies = dict(_NO_PROXIES) if host in LOOPBACK_HOSTS else None
        try:
            response = self._session.post(url, data=body, headers=dict(headers),
                                          timeout=timeout, stream=True, allow_redirects=False,
                                          proxies=proxies)
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as error:
            raise _wrap(url, error) from error
        except ValueError as error:
            raise DownloadError(url, f"invalid URL ({error})") from error

        try:
            _check_success(response)
            received = b"".join(self._read_body(response, max_bytes, deadline))
        finally:
            response.close()

        logger.debug("%s posted %d bytes, received %d bytes", url, len(body), len(received))
        return Response(
            url=url, status=response.status_code, body=received,
            headers=_lower_headers(response),
            etag=response.headers.get("ETag"),
            last_modified=response.headers.get("Last-Modified"),
            not_modified=False,
        )

    def close(self) -> None:
        """Close the session and its pooled connections."""
        self._session.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _stream_and_close(self, response: requests.Response, max_bytes: int,
                          deadline: _Deadline) -> Iterator[bytes]:
        try:
            yield from self._read_body(response, max_bytes, deadline)
        finally:
            response.close()

    def _open(self, url: str, headers: dict[str, str], deadline: _Deadline) -> requests.Response:
        """Send the request and follow redirects within the original host."""
        origin = _split(url)
        current = url
        for hop in range(MAX_REDIRECTS + 1):
            check_url(current, self._config.allowed_hosts)
            response = self._send(current, headers, deadline)
            location = response.headers.get("Location")
            if response.status_code not in _REDIRECT_STATUSES or not location:
                return response
            response.close()

            try:
                target = urljoin(current, location)
            except ValueError as error:
                raise DisallowedUrl(url, f"invalid redirect location {location!r}") from error
            target_parts = _split(target)
            if (target_parts.hostname or "").lower() != (origin.hostname or "").lower():
                raise DisallowedUrl(url, f"redirect to another host rejected: {target}")
            if origin.scheme == "https" and target_parts.scheme != "https":
                raise DisallowedUrl(url, f"redirect from https to {target_parts.scheme} rejected")
            logger.debug("%s redirects to %s (%d of %d)", current, target, hop + 1, MAX_REDIRECTS)
            current = target
        raise DownloadError(url, f"more than {MAX_REDIRECTS} redirects")

    def _send(self, url: str, headers: dict[str, str], deadline: _Deadline) -> requests.Response:
        left = deadline.check(url)
        timeout = (min(self._config.connect_timeout_s, left),
                   min(self._config.read_timeout_s, left))
        host = (_split(url).hostname or "").lower()
        proxies = dict(_NO_PROXIES) if host in LOOPBACK_HOSTS else None
        try:
            return self._session.get(url, headers=headers, timeout=timeout, stream=True,
                                     allow_redirects=False, proxies=proxies)
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as error:
            raise _wrap(url, error) from error
        except ValueError as error:
            # requests parses the Location header even when it follows no redirects.
            raise DownloadError(url, f"invalid URL or redirect location ({error})") from error

    def _check_success_keeping_connection(self, response: requests.Response,
                                          deadline: _Deadline) -> None:
        """Raise HttpStatusError for an error status, after reading a short error page.

        Closing a response before its body is read closes the connection too,
        so the next request, such as the timestamp.json that python-tuf requests
        after a 404 for the next root version, would open a new TCP and TLS
        connection.
        """
        try:
            _check_success(response)
        except HttpStatusError:
            declared = _content_length(response)
            if declared is not None and declared <= MAX_DISCARDED_BODY_BYTES:
                try:
                    for _ in self._read_body(response, MAX_DISCARDED_BODY_BYTES, deadline):
                        pass
                except DownloadError as error:
                    logger.debug("%s: error page not read to the end: %s", response.url, error)
            raise

    def _read_body(self, response: requests.Response, max_bytes: int,
                   deadline: _Deadline) -> Iterator[bytes]:
        """Yield the body in chunks, enforcing the size cap and the deadline."""
        url = response.url
        declared = _content_length(response)
        if declared is not None and declared > max_bytes:
            raise DownloadTooLarge(
                url, f"Content-Length {declared} exceeds the limit of {max_bytes} bytes")

        raw = response.raw
        received = 0
        while True:
            left = deadline.check(url)
            self._limit_socket_wait(raw, left)
            try:
                chunk = raw.read1(CHUNK_BYTES, decode_content=True)
            except (urllib3.exceptions.HTTPError, requests.RequestException, OSError) as error:
                if deadline.remaining() <= 0:
                    raise DownloadTimeout(
                        url, f"overall deadline of {deadline.seconds:g} s exceeded") from error
                raise _wrap(url, error) from error
            if not chunk:
                break
            received += len(chunk)
            if received > max_bytes:
                raise DownloadTooLarge(url, f"body exceeds the limit of {max_bytes} bytes")
            yield chunk

        # urllib3 already raises on a short body. This second check covers
        # unencoded bodies only, because a decoded body differs in length.
        if declared is not None and "content-encoding" not in _lower_headers(response) \
                and received != declared:
            raise DownloadError(url, f"body truncated: {received} of {declared} bytes")

    def _limit_socket_wait(self, raw: Any, left: float) -> None:
        """Cut the socket timeout of the next read to the time left in the budget."""
        connection = getattr(raw, "connection", None)
        sock = getattr(connection, "sock", None)
        if sock is not None:
            sock.settimeout(max(0.01, min(self._config.read_timeout_s, left)))


def _check_success(response: requests.Response) -> None:
    status = response.status_code
    if not 200 <= status < 300 or status == 206:
        raise HttpStatusError(response.url, status, response.reason or "")


def _content_length(response: requests.Response) -> int | None:
    value = response.headers.get("Content-Length")
    if value is None:
        return None
    try:
        length = int(value)
    except ValueError:
        return None
    return length if length >= 0 else None


def _lower_headers(response: requests.Response) -> Mapping[str, str]:
    return MappingProxyType({name.lower(): value for name, value in response.headers.items()})
