"""Serve the published repository and the collected static files, read-only and inside their folders.

Any web server or CDN can serve these folders instead; this keeps a
one-machine setup self-contained behind ``kiosk admin serve``.
"""

from __future__ import annotations

import mimetypes
import re
from pathlib import Path

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest
from django.utils.http import http_date
from django.views.decorators.http import require_safe

#: Media types by file suffix; others are guessed, then served as octets.
_CONTENT_TYPES = {
    ".json": "application/json",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".woff2": "font/woff2",
    ".txt": "text/plain; charset=utf-8",
}

#: Versioned metadata and hash-named targets never change once written.
_IMMUTABLE = re.compile(r"^(metadata/[0-9]+\.[a-z]+\.json|targets/.+)$")


def resolve_inside(root: Path, relative: str) -> Path:
    """Return the regular file ``relative`` names inside ``root``, or raise Http404.

    Empty, ``.`` and ``..`` segments, hidden names, backslashes and NUL bytes
    are refused before the file system is asked, and a symbolic link that
    leads out of ``root`` is refused after resolving it.
    """
    parts = relative.split("/")
    for part in parts:
        if not part or part.startswith(".") or "\\" in part or "\x00" in part:
            raise Http404("no such file")
    try:
        base = root.resolve(strict=True)
        path = base.joinpath(*parts).resolve(strict=True)
    except (OSError, RuntimeError) as error:
        raise Http404("no such file") from error
    if not path.is_relative_to(base) or not path.is_file():
        raise Http404("no such file")
    return path


def _file_response(path: Path, cache_control: str) -> FileResponse:
    content_type = _CONTENT_TYPES.get(path.suffix.lower()) \
        or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    response = FileResponse(path.open("rb"), content_type=content_type)
    response["Cache-Control"] = cache_control
    response["Last-Modified"] = http_date(path.stat().st_mtime)
    return response


@require_safe
def repository_file(request: HttpRequest, path: str) -> FileResponse:
    """Serve a file of the signed repository that kiosks download."""
    found = resolve_inside(Path(settings.KIOSK_REPOSITORY_DIR), path)
    # timestamp.json and root.json change with every publish; kiosks must see the new ones.
    cache = "public, max-age=31536000, immutable" if _IMMUTABLE.match(path) else "no-cache"
    return _file_response(found, cache)


@require_safe
def static_file(request: HttpRequest, path: str) -> FileResponse:
    """Serve a file collected into STATIC_ROOT by ``collectstatic``."""
    found = resolve_inside(Path(settings.STATIC_ROOT), path)
    return _file_response(found, "public, max-age=3600")
