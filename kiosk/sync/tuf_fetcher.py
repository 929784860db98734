"""A python-tuf fetcher that downloads through the kiosk's bounded HTTP client.

``tuf.ngclient.Updater`` requests bytes from its fetcher and checks lengths, hashes
and signatures itself. This fetcher adds the kiosk's timeouts, overall
deadline, size cap and URL allowlist, and turns the client's errors into the
exceptions the Updater acts on. The mapping matters: the Updater treats a 403
or 404 for ``N.root.json`` as "no newer root" and only recognises that through
``DownloadHTTPError.status_code``.

The Updater requests timestamp.json on every refresh. This fetcher can make
that request conditional with If-None-Match or If-Modified-Since and, on a 304,
return the copy that the Updater accepted last time. The Updater then checks that copy's
signatures and version again, and refuses to go on when it has expired, so a
304 gives the same protection as the server sending the same file again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

from tuf.api import exceptions as tuf_errors
from tuf.ngclient import FetcherInterface

from kiosk.sync.http import (
    DisallowedUrl,
    DownloadError,
    DownloadTimeout,
    DownloadTooLarge,
    HttpClient,
    HttpStatusError,
)

logger = logging.getLogger(__name__)

#: Minimum time between a file's Last-Modified and the response's Date for the
#: validators to be used. HTTP dates have whole seconds, so a file changed again
#: in the same second would keep its Last-Modified, and an ETag made from the
#: modification time (as nginx makes it) would not change either.
MIN_VALIDATOR_AGE = timedelta(seconds=1)


class DisallowedUrlError(tuf_errors.DownloadError):
    """The repository URL is not allowed by the kiosk configuration."""


@dataclass(frozen=True)
class ValidatedCopy:
    """The body of one download with the HTTP validators (ETag, Last-Modified) it came with."""

    body: bytes
    etag: str | None
    last_modified: str | None


class HttpClientFetcher(FetcherInterface):
    """Fetch TUF metadata and targets with :class:`kiosk.sync.http.HttpClient`.

    ``max_bytes`` caps every single download. The defence against endless data
    is the Updater itself, because it stops reading once a file passes the
    length its metadata declares. This cap only bounds what one response costs.
    """

    def __init__(self, client: HttpClient, max_bytes: int, *,
                 conditional_url: str | None = None, conditional_max_bytes: int = 16 * 1024,
                 accepted: ValidatedCopy | None = None) -> None:
        """Create a fetcher; ``conditional_url`` is fetched with a conditional request.

        ``accepted`` is the copy of ``conditional_url`` that the Updater
        accepted in an earlier refresh. Its validators make the request
        conditional, and a 304 response returns its body. Only pass a copy
        after the Updater's refresh succeeded with it, so that a body that
        failed verification is never offered again. ``conditional_max_bytes``
        caps that download, which is read into memory.
        """
        if max_bytes <= 0 or conditional_max_bytes <= 0:
            raise ValueError(f"max_bytes and conditional_max_bytes must be positive, got "
                             f"{max_bytes} and {conditional_max_bytes}")
        self._client = client
        self._max_bytes = max_bytes
        self._conditional_url = conditional_url
        self._conditional_max_bytes = conditional_max_bytes
        self._accepted = accepted
        self._latest: ValidatedCopy | None = None

    @property
    def latest(self) -> ValidatedCopy | None:
        """The copy of ``conditional_url`` returned by the last fetch of it, or ``None``."""
        return self._latest

    def _fetch(self, url: str) -> Iterator[bytes]:
        # A generator, so errors raised while the body streams are translated
        # too: FetcherInterface.fetch() only wraps errors raised by this call.
        try:
            if url == self._conditional_url:
                yield self._fetch_conditional(url)
            else:
                yield from self._client.stream(url, max_bytes=self._max_bytes)
        except HttpStatusError as error:
            raise tuf_errors.DownloadHTTPError(str(error), error.status) from error
        except DownloadTimeout as error:
            raise tuf_errors.SlowRetrievalError(str(error)) from error
        except DownloadTooLarge as error:
            raise tuf_errors.DownloadLengthMismatchError(str(error)) from error
        except DisallowedUrl as error:
            raise DisallowedUrlError(str(error)) from error
        except DownloadError as error:
            raise tuf_errors.DownloadError(str(error)) from error

    def _fetch_conditional(self, url: str) -> bytes:
        accepted = self._accepted
        response = self._client.get(url, max_bytes=self._conditional_max_bytes,
                                    etag=accepted.etag if accepted else None,
                                    last_modified=accepted.last_modified if accepted else None)
        if response.not_modified and accepted is not None:
            logger.debug("%s not modified; using the copy accepted before", url)
            self._latest = accepted
            return accepted.body
        if reliable_validators(response.headers):
            self._latest = ValidatedCopy(response.body, response.etag, response.last_modified)
        else:
            logger.debug("%s changed less than %s before the response, so the next "
                         "request for it is not conditional", url, MIN_VALIDATOR_AGE)
            self._latest = ValidatedCopy(response.body, None, None)
        return response.body


def _http_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return moment if moment.tzinfo is not None else None


def reliable_validators(headers: Mapping[str, str]) -> bool:
    """Return whether a response's ETag and Last-Modified can make the next request conditional.

    ``headers`` has lower-case names. Validators count only when the response
    has an ETag or a Last-Modified, and a Last-Modified at least
    ``MIN_VALIDATOR_AGE`` before the response's Date, following the rule for
    strong Last-Modified validators in RFC 9110, section 8.8.2.2.
    """
    if "last-modified" not in headers:
        return bool(headers.get("etag"))
    modified = _http_date(headers.get("last-modified"))
    sent = _http_date(headers.get("date"))
    if modified is None or sent is None:
        return False
    return sent - modified >= MIN_VALIDATOR_AGE
