"""A python-tuf fetcher that downloads through the kiosk's bounded HTTP client.

``tuf.ngclient.Updater`` requests bytes from its fetcher and checks lengths, hashes
and signatures itself. This fetcher adds the kiosk's timeouts, overall
deadline, size cap and URL allowlist, and turns the client's errors into the
exceptions the Updater acts on. The mapping matters: the Updater treats a 403
or 404 for ``N.root.json`` as "no newer root" and only recognises that through
``DownloadHTTPError.status_code``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

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


class DisallowedUrlError(tuf_errors.DownloadError):
    """The repository URL is not allowed by the kiosk configuration."""


class HttpClientFetcher(FetcherInterface):
    """Fetch TUF metadata and targets with :class:`kiosk.sync.http.HttpClient`.

    ``max_bytes`` caps every single download. The defence against endless data
    is the Updater itself, because it stops reading once a file passes the
    length its metadata declares. This cap only bounds what one response costs.
    """

    def __init__(self, client: HttpClient, max_bytes: int) -> None:
        if max_bytes <= 0:
            raise ValueError(f"max_bytes must be positive, got {max_bytes}")
        self._client = client
        self._max_bytes = max_bytes

    def _fetch(self, url: str) -> Iterator[bytes]:
        # A generator, so errors raised while the body streams are translated
        # too: FetcherInterface.fetch() only wraps errors raised by this call.
        try:
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
