"""Kiosks in the Django admin: settings, API tokens (shown once) and screenshot requests."""

from __future__ import annotations

import logging

from argon2 import PasswordHasher
from django import forms
from django.apps import apps
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy, ngettext_lazy

from kiosk.admin.fleet.models import Kiosk
from kiosk.i18n.languages import KIOSK_LANGUAGES

logger = logging.getLogger(__name__)


def hash_pin(pin: str) -> str:
    """Return the Argon2id hash of a maintenance PIN, as the kiosk's ``maintenance_pin_hash``."""
    return PasswordHasher().hash(pin)


def _known_site_ids() -> set[str] | None:
    """Return the site ids of the content app, or None when it has no Site model."""
    try:
        site_model = apps.get_model("content", "Site")
    except LookupError:
        return None
    return set(site_model.objects.values_list("bundle_id", flat=True))


class KioskForm(forms.ModelForm):
    languages = forms.MultipleChoiceField(
        label=gettext_lazy("enabled languages"), widget=forms.CheckboxSelectMultiple,
        choices=[(language, language) for language in KIOSK_LANGUAGES])
    new_pin = forms.RegexField(
        label=gettext_lazy("new maintenance PIN"), regex=r"^[0-9]{4,12}$", required=False,
        strip=True, widget=forms.PasswordInput(render_value=False),
        error_messages={"invalid": gettext_lazy("A maintenance PIN has 4 to 12 digits.")},
        help_text=gettext_lazy("4 to 12 digits. Leave empty to keep the current PIN. The "
                               "console stores only its Argon2 hash."))

    class Meta:
        model = Kiosk
        fields = ["kiosk_id", "name", "site_id", "languages", "default_language",
                  "idle_timeout_s", "screenshot_requested"]

    def clean_site_id(self) -> str:
        site_id: str = self.cleaned_data["site_id"]
        known = _known_site_ids()
        if site_id and known is not None and site_id not in known:
            raise forms.ValidationError(
                gettext_lazy("No site has the id %(site)s; add the site in the content first."),
                params={"site": site_id})
        return site_id

    def save(self, commit: bool = True) -> Kiosk:
        kiosk: Kiosk = super().save(commit=False)
        pin = self.cleaned_data.get("new_pin")
        if pin:
            kiosk.maintenance_pin_hash = hash_pin(pin)
        if commit:
            kiosk.save()
        return kiosk


@admin.register(Kiosk)
class KioskAdmin(admin.ModelAdmin):
    form = KioskForm
    list_display = ["kiosk_id", "name", "site_id", "has_token", "last_heartbeat_at",
                    "last_content_version", "screenshot_requested"]
    list_filter = ["site_id", "screenshot_requested"]
    search_fields = ["kiosk_id", "name", "site_id"]
    readonly_fields = ["token_created_at", "created_at", "last_heartbeat_at",
                       "last_app_version", "last_content_version", "last_clock_status",
                       "last_clock_offset_s", "last_uptime_s", "last_sources", "last_errors",
                       "last_errors_at", "pin_is_set"]
    fieldsets = [
        (None, {"fields": ["kiosk_id", "name", "site_id"]}),
        (gettext_lazy("Kiosk settings"), {"fields": ["languages", "default_language",
                                                      "idle_timeout_s", "new_pin",
                                                      "pin_is_set"]}),
        (gettext_lazy("API token"), {"fields": ["token_created_at"]}),
        (gettext_lazy("Last heartbeat"), {"fields": [
            "last_heartbeat_at", "last_app_version", "last_content_version",
            "last_clock_status", "last_clock_offset_s", "last_uptime_s", "last_sources",
            "last_errors", "last_errors_at", "screenshot_requested"]}),
    ]
    actions = ["issue_tokens", "revoke_tokens", "request_screenshots"]

    @admin.display(boolean=True, description=gettext_lazy("token"))
    def has_token(self, kiosk: Kiosk) -> bool:
        return kiosk.has_token

    @admin.display(boolean=True, description=gettext_lazy("maintenance PIN set"))
    def pin_is_set(self, kiosk: Kiosk) -> bool:
        return bool(kiosk.maintenance_pin_hash)

    def has_request_screenshot_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("fleet.request_screenshot")

    @admin.action(permissions=["change"], description=gettext_lazy(
        "Create new API tokens for the selected kiosks (replaces their tokens)"))
    def issue_tokens(self, request: HttpRequest, queryset: QuerySet[Kiosk]) -> HttpResponse:
        """Replace the tokens and show the new ones once, on a page that is never cached."""
        now = timezone.now()
        issued = [(kiosk, kiosk.issue_token(now)) for kiosk in queryset.order_by("kiosk_id")]
        for kiosk, _token in issued:
            logger.info("user %s created a new API token for kiosk %s",
                        request.user.get_username(), kiosk.kiosk_id)
        context = {**self.admin_site.each_context(request),
                   "title": gettext_lazy("New API tokens"), "issued": issued,
                   "opts": self.model._meta}
        response = TemplateResponse(request, "fleet/tokens_created.html", context)
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(permissions=["change"], description=gettext_lazy(
        "Revoke the API tokens of the selected kiosks"))
    def revoke_tokens(self, request: HttpRequest, queryset: QuerySet[Kiosk]) -> None:
        count = 0
        for kiosk in queryset:
            kiosk.revoke_token()
            logger.info("user %s revoked the API token of kiosk %s",
                        request.user.get_username(), kiosk.kiosk_id)
            count += 1
        self.message_user(request, ngettext_lazy(
            "Revoked the token of %(count)d kiosk.", "Revoked the tokens of %(count)d kiosks.",
            "count") % {"count": count}, messages.SUCCESS)

    @admin.action(permissions=["request_screenshot"], description=gettext_lazy(
        "Request a screenshot from the selected kiosks"))
    def request_screenshots(self, request: HttpRequest, queryset: QuerySet[Kiosk]) -> None:
        count = queryset.update(screenshot_requested=True, screenshot_requested_at=timezone.now())
        self.message_user(request, ngettext_lazy(
            "%(count)d kiosk will send a screenshot with its next heartbeat.",
            "%(count)d kiosks will send a screenshot with their next heartbeat.",
            "count") % {"count": count}, messages.SUCCESS)
