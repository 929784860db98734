"""The kiosks' API: heartbeats and requested screenshots, authenticated by per-kiosk tokens.

Both endpoints take ``Authorization: Bearer <token>`` and are exempt from the
CSRF check, because no browser session can authenticate them. Every
rejection is a JSON object ``{"error": code, "message": text}`` with a 4xx
status; ``field`` names the JSON path of an invalid heartbeat field.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from kiosk.admin.fleet.ingest import record_heartbeat, record_screenshot
from kiosk.admin.fleet.models import Kiosk
from kiosk.admin.fleet.payload import PayloadError, parse_heartbeat
from kiosk.admin.fleet.png import PngError, check_png
from kiosk.admin.fleet.tokens import TokenError, bearer_token, digest_matches, selector_of
from kiosk.sync.heartbeat import MAX_HEARTBEAT_BYTES, MAX_SCREENSHOT_BYTES

logger = logging.getLogger(__name__)


class ApiError(Exception):
    """A rejected request: the HTTP status, a stable error code and a message for people."""

    def __init__(self, status: int, code: str, text: str, *, field: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(text)
        self.status = status
        self.code = code
        self.text = text
        self.field = field
        self.headers = headers or {}

    def response(self) -> JsonResponse:
        body: dict[str, Any] = {"error": self.code, "message": self.text}
        if self.field:
            body["field"] = self.field
        response = JsonResponse(body, status=self.status)
        for name, value in self.headers.items():
            response[name] = value
        return response


def _unauthorized(text: str) -> ApiError:
    return ApiError(401, "invalid_token", text, headers={
        "WWW-Authenticate": 'Bearer realm="kiosk fleet", error="invalid_token"'})


def authenticate(request: HttpRequest) -> Kiosk:
    """Return the kiosk whose token the request carries; raise ApiError 401 otherwise."""
    try:
        token = bearer_token(request.headers.get("Authorization"))
        selector = selector_of(token)
    except TokenError as error:
        raise _unauthorized(str(error)) from error
    kiosk = (Kiosk.objects.only("pk", "kiosk_id", "token_hash", "screenshot_requested")
             .filter(token_selector=selector).first())
    if kiosk is None or not digest_matches(token, kiosk.token_hash):
        logger.warning("rejected a token with selector %s from %s", selector,
                       request.META.get("REMOTE_ADDR"))
        raise _unauthorized("the token is not valid; create a new one for this kiosk in the "
                            "console")
    return kiosk


def read_body(request: HttpRequest, content_type: str, max_bytes: int) -> bytes:
    """Read the request body of ``content_type``, at most ``max_bytes``; raise ApiError otherwise."""
    received_type = request.content_type or ""
    if received_type != content_type:
        raise ApiError(415, "unsupported_media_type",
                       f"the body is {received_type or 'untyped'}; expected {content_type}")
    charset = request.content_params.get("charset", "utf-8") if request.content_params else "utf-8"
    if charset.lower() not in {"utf-8", "utf8"}:
        raise ApiError(415, "unsupported_media_type",
                       f"the body is in {charset}; expected UTF-8")
    declared = request.META.get("CONTENT_LENGTH")
    if not declared:
        raise ApiError(411, "length_required", "the request has no Content-Length")
    try:
        length = int(declared)
    except ValueError as error:
        raise ApiError(400, "bad_request", f"invalid Content-Length {declared!r}") from error
    if length > max_bytes:
        raise ApiError(413, "too_large",
                       f"the body has {length} bytes; the limit is {max_bytes} bytes")
    body: bytes = request.read(max_bytes + 1)
    if len(body) > max_bytes:
        raise ApiError(413, "too_large", f"the body exceeds the limit of {max_bytes} bytes")
    if not body:
        raise ApiError(400, "empty_body", "the body is empty")
    return body


@method_decorator(csrf_exempt, name="dispatch")
class KioskApiView(View):
    """POST-only endpoint that turns every ApiError into its JSON response."""

    http_method_names = ["post"]
    now: Callable[[], datetime] = staticmethod(timezone.now)

    def post(self, request: HttpRequest) -> HttpResponse:
        received_at = self.now()
        try:
            kiosk = authenticate(request)
            return self.handle(request, kiosk, received_at)
        except ApiError as error:
            return error.response()

    def handle(self, request: HttpRequest, kiosk: Kiosk, received_at: datetime) -> HttpResponse:
        raise NotImplementedError

    def http_method_not_allowed(self, request: HttpRequest, *args: Any,
                                **kwargs: Any) -> HttpResponse:
        error = ApiError(405, "method_not_allowed", f"{request.method} is not allowed; use POST",
                         headers={"Allow": "POST"})
        return error.response()


class HeartbeatView(KioskApiView):
    """``POST /fleet/api/heartbeat``: store one heartbeat and return whether a screenshot is requested."""

    def handle(self, request: HttpRequest, kiosk: Kiosk, received_at: datetime) -> HttpResponse:
        body = read_body(request, "application/json", MAX_HEARTBEAT_BYTES)
        try:
            report = parse_heartbeat(body)
        except PayloadError as error:
            logger.warning("kiosk %s: rejected heartbeat: %s", kiosk.kiosk_id, error)
            raise ApiError(400, "invalid_heartbeat", str(error), field=error.field) from error
        if report.kiosk_id != kiosk.kiosk_id:
            logger.warning("kiosk %s: heartbeat names kiosk %s", kiosk.kiosk_id, report.kiosk_id)
            raise ApiError(403, "wrong_kiosk", f"the token belongs to kiosk {kiosk.kiosk_id}, "
                                               f"not {report.kiosk_id}", field="kiosk_id")
        if not record_heartbeat(kiosk, report, received_at):
            logger.warning("kiosk %s was deleted while its heartbeat arrived", kiosk.kiosk_id)
            raise _unauthorized("the kiosk no longer exists in the console")
        return JsonResponse({"ok": True, "screenshot_requested": kiosk.screenshot_requested})


class ScreenshotView(KioskApiView):
    """``POST /fleet/api/screenshot``: store a requested PNG screenshot."""

    def handle(self, request: HttpRequest, kiosk: Kiosk, received_at: datetime) -> HttpResponse:
        if not kiosk.screenshot_requested:
            raise ApiError(409, "not_requested", "the console has not requested a screenshot")
        body = read_body(request, "image/png", MAX_SCREENSHOT_BYTES)
        try:
            info = check_png(body, MAX_SCREENSHOT_BYTES)
        except PngError as error:
            logger.warning("kiosk %s: rejected screenshot: %s", kiosk.kiosk_id, error)
            raise ApiError(400, "invalid_png", str(error)) from error
        if not record_screenshot(kiosk, body, info, received_at):
            logger.warning("kiosk %s was deleted while its screenshot arrived", kiosk.kiosk_id)
            raise _unauthorized("the kiosk no longer exists in the console")
        return JsonResponse({"ok": True})
