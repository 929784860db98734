"""Kiosks of the fleet, what their heartbeats reported, and their screen view counts.

Heartbeats are not stored one row each: 10,000 kiosks reporting every minute
would add 14.4 million rows a day. The :class:`Kiosk` row keeps the latest
report, :class:`HeartbeatDay` keeps one row per kiosk and day (how many
heartbeats arrived, how many carried errors, the first and the last), and
:class:`ScreenViewCount` one row per kiosk, day, screen and language. Both
grow by about one row per kiosk and day for the history, and
``manage.py prune_fleet_history`` deletes days past the retention period.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy

from kiosk.admin.fleet.tokens import generate_token
from kiosk.i18n.languages import DEFAULT_LANGUAGE, KIOSK_LANGUAGES
from kiosk.sync.heartbeat import CLOCK_STATUSES, KIOSK_ID_PATTERN, MAX_NAME_CHARS

LANGUAGE_CHOICES = [(language, language) for language in KIOSK_LANGUAGES]
CLOCK_CHOICES = [(status, status) for status in CLOCK_STATUSES]


def _all_languages() -> list[str]:
    return list(KIOSK_LANGUAGES)


def validate_languages(value: Any) -> None:
    """Reject anything but a non-empty list of distinct kiosk languages."""
    if not isinstance(value, list) or not value:
        raise ValidationError(gettext_lazy("Choose at least one language."))
    unknown = [language for language in value if language not in KIOSK_LANGUAGES]
    if unknown:
        raise ValidationError(
            gettext_lazy("Unknown language %(language)s; the kiosk speaks %(languages)s."),
            params={"language": unknown[0], "languages": ", ".join(KIOSK_LANGUAGES)})
    if len(set(value)) != len(value):
        raise ValidationError(gettext_lazy("Each language may be listed only once."))


def validate_pin_hash(value: str) -> None:
    if value and not value.startswith("$argon2"):
        raise ValidationError(gettext_lazy("Not an Argon2 hash; use the output of "
                                           "'kiosk pin-hash'."))


class Kiosk(models.Model):
    """One kiosk: its settings, its API token and its latest heartbeat."""

    kiosk_id = models.CharField(
        gettext_lazy("kiosk id"), max_length=MAX_NAME_CHARS, unique=True,
        validators=[RegexValidator(f"^{KIOSK_ID_PATTERN.pattern}$")],
        help_text=gettext_lazy("The kiosk_id in the kiosk's configuration file: letters, "
                               "digits, '.', '-' and '_'."))
    name = models.CharField(gettext_lazy("name"), max_length=200)
    site_id = models.CharField(gettext_lazy("site id"), max_length=MAX_NAME_CHARS, blank=True,
                               help_text=gettext_lazy("A site id of the published content."))
    languages = models.JSONField(gettext_lazy("enabled languages"), default=_all_languages,
                                 validators=[validate_languages])
    default_language = models.CharField(gettext_lazy("default language"), max_length=16,
                                        choices=LANGUAGE_CHOICES, default=DEFAULT_LANGUAGE)
    idle_timeout_s = models.PositiveIntegerField(
        gettext_lazy("idle timeout (seconds)"), default=60,
        validators=[MinValueValidator(5), MaxValueValidator(3600)])
    maintenance_pin_hash = models.CharField(
        gettext_lazy("maintenance PIN hash"), max_length=256, blank=True,
        validators=[validate_pin_hash])

    token_selector = models.CharField(max_length=16, unique=True, null=True, blank=True,
                                      editable=False)
    token_hash = models.CharField(max_length=64, blank=True, editable=False)
    token_created_at = models.DateTimeField(gettext_lazy("token created"), null=True,
                                            blank=True, editable=False)
    created_at = models.DateTimeField(gettext_lazy("created"), auto_now_add=True)

    last_heartbeat_at = models.DateTimeField(gettext_lazy("last heartbeat"), null=True,
                                             blank=True, editable=False, db_index=True)
    last_app_version = models.CharField(max_length=MAX_NAME_CHARS, blank=True, editable=False)
    last_content_version = models.BigIntegerField(null=True, blank=True, editable=False)
    last_clock_status = models.CharField(max_length=16, choices=CLOCK_CHOICES, blank=True,
                                         editable=False)
    #: The kiosk's clock minus the console's when the last heartbeat arrived.
    last_clock_offset_s = models.FloatField(null=True, blank=True, editable=False)
    last_uptime_s = models.BigIntegerField(null=True, blank=True, editable=False)
    #: Sync status per source, as JSON objects with ISO 8601 times.
    last_sources = models.JSONField(default=list, blank=True, editable=False)
    #: The latest non-empty list of error messages, kept until a newer one arrives.
    last_errors = models.JSONField(default=list, blank=True, editable=False)
    last_errors_at = models.DateTimeField(null=True, blank=True, editable=False)

    screenshot_requested = models.BooleanField(gettext_lazy("screenshot requested"),
                                               default=False)
    screenshot_requested_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["kiosk_id"]
        verbose_name = gettext_lazy("kiosk")
        verbose_name_plural = gettext_lazy("kiosks")
        permissions = [("request_screenshot", "Can request a screenshot of a kiosk")]

    def __str__(self) -> str:
        return f"{self.kiosk_id} ({self.name})"

    def clean(self) -> None:
        super().clean()
        if isinstance(self.languages, list) and self.default_language not in self.languages:
            raise ValidationError({"default_language": gettext_lazy(
                "The default language must be one of the enabled languages.")})

    @property
    def has_token(self) -> bool:
        return bool(self.token_hash)

    def issue_token(self, now: datetime) -> str:
        """Replace the kiosk's token with a new one, save, and return it for showing once."""
        new = generate_token()
        self.token_selector = new.selector
        self.token_hash = new.digest
        self.token_created_at = now
        self.save(update_fields=["token_selector", "token_hash", "token_created_at"])
        return new.token

    def revoke_token(self) -> None:
        """Remove the kiosk's token, so its heartbeats are rejected until a new one is issued."""
        self.token_selector = None
        self.token_hash = ""
        self.token_created_at = None
        self.save(update_fields=["token_selector", "token_hash", "token_created_at"])

    @property
    def failing_sources(self) -> list[dict[str, Any]]:
        return [source for source in self.last_sources
                if isinstance(source, dict) and source.get("consecutive_failures")]


class HeartbeatDay(models.Model):
    """Heartbeats of one kiosk on one day (in the console's time zone)."""

    kiosk = models.ForeignKey(Kiosk, on_delete=models.CASCADE, related_name="heartbeat_days")
    day = models.DateField()
    heartbeats = models.PositiveIntegerField(default=0)
    #: Heartbeats that reported errors or failing sources.
    with_errors = models.PositiveIntegerField(default=0)
    first_at = models.DateTimeField()
    last_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kiosk", "day"],
                                               name="fleet_heartbeatday_unique_day")]
        indexes = [models.Index(fields=["day"], name="fleet_heartbeatday_day")]
        verbose_name = gettext_lazy("heartbeats per day")
        verbose_name_plural = gettext_lazy("heartbeats per day")


class ScreenViewCount(models.Model):
    """How often one kiosk showed one screen in one language on one day."""

    kiosk = models.ForeignKey(Kiosk, on_delete=models.CASCADE, related_name="view_counts")
    day = models.DateField()
    screen = models.CharField(max_length=40)
    language = models.CharField(max_length=16)
    views = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kiosk", "day", "screen", "language"],
                                               name="fleet_screenviewcount_unique")]
        indexes = [models.Index(fields=["day"], name="fleet_screenviewcount_day")]
        verbose_name = gettext_lazy("screen view count")
        verbose_name_plural = gettext_lazy("screen view counts")


class Screenshot(models.Model):
    """The latest screenshot a kiosk sent on request; a new one replaces it."""

    kiosk = models.OneToOneField(Kiosk, on_delete=models.CASCADE, primary_key=True,
                                 related_name="screenshot")
    png = models.BinaryField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    received_at = models.DateTimeField()

    class Meta:
        verbose_name = gettext_lazy("screenshot")
        verbose_name_plural = gettext_lazy("screenshots")
