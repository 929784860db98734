"""The fleet page: kiosk states, versions, clocks, errors, screenshots and screen views."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.decorators import login_required, permission_required
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.paginator import Paginator
from django.db.models import Count, OuterRef, Subquery, Sum
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy, ngettext_lazy
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView

from kiosk.admin.fleet.charts import breakdown, day_chart
from kiosk.admin.fleet.models import Kiosk, Screenshot, ScreenViewCount
from kiosk.admin.fleet.status import KioskState, Thresholds, classify, state_filter
from kiosk.publish.errors import PublishError
from kiosk.publish.storage import read_state

logger = logging.getLogger(__name__)

#: Days the view charts cover unless the ``days`` query parameter sets 1 to MAX_CHART_DAYS.
DEFAULT_CHART_DAYS = 14
MAX_CHART_DAYS = 90


def published_content_version() -> int | None:
    """Return the bundle version in the console's signed repository, or None when unknown."""
    repository = getattr(settings, "KIOSK_REPOSITORY_DIR", None)
    if repository is None:
        return None
    try:
        state = read_state(repository)
    except PublishError as error:
        logger.warning("cannot read the published content version from %s: %s", repository,
                       error)
        return None
    return state.bundle_version if state.published else None


@dataclass(frozen=True)
class KioskRow:
    """One kiosk as the fleet table shows it."""

    kiosk: Kiosk
    state: KioskState
    #: ``current``, ``behind``, ``ahead`` or ``unknown``, against the published version.
    content: str
    errors: tuple[str, ...]
    screenshot_at: datetime | None
    clock_offset: str


def content_status(reported: int | None, published: int | None) -> str:
    """Compare the content version a kiosk reported with the published one."""
    if reported is None or published is None:
        return "unknown"
    if reported == published:
        return "current"
    return "behind" if reported < published else "ahead"


def clock_offset_text(offset_s: float | None) -> str:
    """Describe how far a kiosk's clock was off the console's, such as "5 min behind the console"."""
    if offset_s is None:
        return ""
    amount = abs(offset_s)
    if amount < 1:
        return str(gettext_lazy("in step with the console"))
    if amount < 120:
        size = gettext_lazy("%(count)d s") % {"count": amount}
    elif amount < 2 * 3600:
        size = gettext_lazy("%(count)d min") % {"count": amount // 60}
    elif amount < 2 * 86400:
        size = gettext_lazy("%(count)d h") % {"count": amount // 3600}
    else:
        days = int(amount // 86400)
        size = ngettext_lazy("%(count)d day", "%(count)d days", days) % {"count": days}
    if offset_s > 0:
        return str(gettext_lazy("%(amount)s ahead of the console") % {"amount": size})
    return str(gettext_lazy("%(amount)s behind the console") % {"amount": size})


def _kiosk_errors(kiosk: Kiosk) -> tuple[str, ...]:
    failing = [f"{source.get('name')}: {source.get('last_error') or ''}".rstrip(": ")
               for source in kiosk.failing_sources]
    return (*failing, *(str(error) for error in kiosk.last_errors))


def _int_parameter(value: str | None, default: int, low: int, high: int) -> int:
    try:
        number = int(value) if value is not None else default
    except ValueError:
        return default
    return min(high, max(low, number))


class FleetView(LoginRequiredMixin, PermissionRequiredMixin, TemplateView):
    """The fleet overview; ``now`` and ``latest_content_version`` can be replaced in ``as_view``."""

    template_name = "fleet/fleet.html"
    permission_required = "fleet.view_kiosk"
    now: Callable[[], datetime] = staticmethod(timezone.now)
    latest_content_version: Callable[[], int | None] = staticmethod(published_content_version)
    page_size = 50

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        request = self.request
        now = self.now()
        thresholds = Thresholds.from_settings(settings)
        published = self.latest_content_version()

        counts = Kiosk.objects.aggregate(**{
            state.value: Count("pk", filter=state_filter(state, now, thresholds))
            for state in KioskState})
        selected = next((state for state in KioskState
                         if state.value == request.GET.get("state")), None)
        kiosks = Kiosk.objects.defer("maintenance_pin_hash", "token_hash").annotate(
            screenshot_at=Subquery(Screenshot.objects.filter(kiosk=OuterRef("pk"))
                                   .values("received_at")[:1]))
        if selected is not None:
            kiosks = kiosks.filter(state_filter(selected, now, thresholds))
        page = Paginator(kiosks, self.page_size).get_page(request.GET.get("page"))
        rows = [KioskRow(kiosk=kiosk,
                         state=classify(kiosk.last_heartbeat_at, now, thresholds),
                         content=content_status(kiosk.last_content_version, published),
                         errors=_kiosk_errors(kiosk),
                         screenshot_at=kiosk.screenshot_at,
                         clock_offset=clock_offset_text(kiosk.last_clock_offset_s))
                for kiosk in page]

        context.update(admin.site.each_context(request))
        context.update({
            "title": gettext_lazy("Fleet"),
            "now": now,
            "thresholds": thresholds,
            "late_after_minutes": thresholds.late_after_s / 60,
            "silent_after_minutes": thresholds.silent_after_s / 60,
            "states": [(state, counts[state.value]) for state in KioskState],
            "selected_state": selected,
            "total": sum(counts.values()),
            "published_version": published,
            "page": page,
            "rows": rows,
            "can_request_screenshot": request.user.has_perm("fleet.request_screenshot"),
        })
        context.update(self._charts(now))
        return context

    def _charts(self, now: datetime) -> dict[str, Any]:
        request = self.request
        day_count = _int_parameter(request.GET.get("days"), DEFAULT_CHART_DAYS, 1, MAX_CHART_DAYS)
        last_day = timezone.localdate(now)
        days = [last_day - timedelta(days=offset) for offset in range(day_count - 1, -1, -1)]
        views = ScreenViewCount.objects.filter(day__gte=days[0], day__lte=last_day)
        chart_kiosk = request.GET.get("kiosk") or ""
        if chart_kiosk:
            views = views.filter(kiosk__kiosk_id=chart_kiosk)

        # NOTE: these sums read every count row of the period, which at 10,000
        # kiosks is millions of rows for 14 days. The page gets slower as the
        # fleet grows; a fleet-wide daily total table would keep it constant.
        by_screen: dict[tuple[str, date], int] = {}
        by_language: dict[tuple[str, date], int] = {}
        totals: dict[date, int] = {}
        for row in views.values("day", "screen", "language").annotate(total=Sum("views")):
            day, total = row["day"], row["total"]
            by_screen[row["screen"], day] = by_screen.get((row["screen"], day), 0) + total
            by_language[row["language"], day] = by_language.get((row["language"], day), 0) + total
            totals[day] = totals.get(day, 0) + total
        return {
            "chart_days": days,
            "chart_day_count": day_count,
            "chart_kiosk": chart_kiosk,
            "day_chart": day_chart(days, totals),
            "screen_rows": breakdown(days, by_screen),
            "language_rows": breakdown(days, by_language),
            "views_total": sum(totals.values()),
        }


@login_required
@permission_required("fleet.view_kiosk", raise_exception=True)
def screenshot_image(request: HttpRequest, kiosk_id: str) -> HttpResponse:
    """Return the latest screenshot of a kiosk as a PNG image."""
    screenshot = get_object_or_404(Screenshot, kiosk__kiosk_id=kiosk_id)
    response = HttpResponse(bytes(screenshot.png), content_type="image/png")
    response["Cache-Control"] = "private, no-cache"
    response["Content-Disposition"] = f'inline; filename="{kiosk_id}.png"'
    # The image is shown on its own only; it may run and load nothing.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@require_POST
@login_required
@permission_required("fleet.request_screenshot", raise_exception=True)
def request_screenshot(request: HttpRequest, kiosk_id: str) -> HttpResponse:
    """Request a screenshot with the kiosk's next heartbeat, then return to the fleet page."""
    kiosk = get_object_or_404(Kiosk, kiosk_id=kiosk_id)
    Kiosk.objects.filter(pk=kiosk.pk).update(screenshot_requested=True,
                                             screenshot_requested_at=timezone.now())
    logger.info("user %s requested a screenshot of kiosk %s", request.user.get_username(),
                kiosk.kiosk_id)
    messages.success(request, gettext_lazy(
        "Kiosk %(kiosk)s will send a screenshot with its next heartbeat.") % {
        "kiosk": kiosk.kiosk_id})
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        target = reverse("fleet:overview")
    return HttpResponseRedirect(target)
