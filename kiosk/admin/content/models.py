"""Content the console edits, one model per bundle section, and the record of each publish.

Field names follow the bundle format (docs/content-format.md), so the
export is a direct mapping. Notices, travel rules, symptom guidance and
hotlines are drafts until a publisher approves them, and only approved items
are published. Sites, risk levels, the self-check and the bundle settings
have no draft state: they are published as they stand.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, URLValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy

from kiosk.admin.content.fields import (
    MAX_URL_LENGTH,
    SITE_TYPE_CHOICES,
    LocalizedTextField,
    RegionsField,
    SiteTypesField,
    validate_bundle_id,
    validate_phone_number,
    validate_region,
)
from kiosk.i18n.languages import DEFAULT_LANGUAGE, resolve_text

validate_http_url = URLValidator(schemes=["http", "https"])


def _new_id(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(5)}"


def new_notice_id() -> str:
    """Return a fresh notice id such as ``notice-3f9a1c2b7d``."""
    return _new_id("notice")


def new_rule_id() -> str:
    """Return a fresh travel rule id."""
    return _new_id("rule")


def new_symptom_id() -> str:
    """Return a fresh symptom guidance id."""
    return _new_id("symptom")


def new_hotline_id() -> str:
    """Return a fresh hotline id."""
    return _new_id("hotline")


def new_question_id() -> str:
    """Return a fresh self-check question id."""
    return _new_id("question")


def display_text(text: dict[str, str] | None) -> str:
    """Return a text in the default language, or its first translation, for lists and titles."""
    return resolve_text(text or {}, DEFAULT_LANGUAGE).text


class Status(models.TextChoices):
    DRAFT = "draft", gettext_lazy("Draft")
    APPROVED = "approved", gettext_lazy("Approved")


class Severity(models.TextChoices):
    INFO = "info", gettext_lazy("Information")
    WARNING = "warning", gettext_lazy("Warning")
    URGENT = "urgent", gettext_lazy("Urgent")


class Colour(models.TextChoices):
    GREEN = "green", gettext_lazy("Green")
    YELLOW = "yellow", gettext_lazy("Yellow")
    ORANGE = "orange", gettext_lazy("Orange")
    RED = "red", gettext_lazy("Red")


#: Risk colours from lowest to highest risk.
COLOUR_ORDER = [Colour.GREEN, Colour.YELLOW, Colour.ORANGE, Colour.RED]


class Targeting(models.Model):
    """Sites an item is meant for; no target at all means every site."""

    target_sites = models.ManyToManyField(
        "content.Site", blank=True, related_name="+", verbose_name=gettext_lazy("sites"),
        help_text=gettext_lazy("Show only at these sites."))
    target_site_types = SiteTypesField(
        gettext_lazy("site types"), help_text=gettext_lazy("Show only at sites of these types."))
    target_regions = RegionsField(
        gettext_lazy("regions"),
        help_text=gettext_lazy("Show only in these regions, e.g. CN-BJ, CN-SH. "
                               "CN covers every region of China."))

    class Meta:
        abstract = True


class Validity(models.Model):
    """The window in which an item is shown; an open end is empty."""

    valid_from = models.DateTimeField(gettext_lazy("valid from"), null=True, blank=True)
    valid_until = models.DateTimeField(gettext_lazy("valid until"), null=True, blank=True,
                                       help_text=gettext_lazy("The item is hidden from "
                                                              "this moment on."))

    class Meta:
        abstract = True

    def clean(self) -> None:
        super().clean()
        if self.valid_from and self.valid_until and self.valid_until <= self.valid_from:
            raise ValidationError({"valid_until": gettext_lazy(
                "The end of the validity must be later than its start.")})

    def ended(self, moment: datetime) -> bool:
        """Return whether the validity window has ended at ``moment``."""
        return self.valid_until is not None and self.valid_until <= moment


class Approval(models.Model):
    """Draft or approved state: only approved items are published."""

    status = models.CharField(gettext_lazy("status"), max_length=16, choices=Status.choices,
                              default=Status.DRAFT)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+", editable=False,
                                    verbose_name=gettext_lazy("approved by"))
    approved_at = models.DateTimeField(gettext_lazy("approved at"), null=True, blank=True,
                                       editable=False)

    class Meta:
        abstract = True

    def approve(self, user: models.Model | None, moment: datetime) -> None:
        self.status = Status.APPROVED
        self.approved_by = user
        self.approved_at = moment

    def make_draft(self) -> None:
        self.status = Status.DRAFT
        self.approved_by = None
        self.approved_at = None


class Timestamps(models.Model):
    created_at = models.DateTimeField(gettext_lazy("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(gettext_lazy("updated at"), auto_now=True)

    class Meta:
        abstract = True


class Site(Timestamps):
    """A place where kiosks stand."""

    bundle_id = models.CharField(gettext_lazy("site ID"), max_length=128, unique=True,
                                 validators=[validate_bundle_id],
                                 help_text=gettext_lazy("The ID configured on the kiosks at "
                                                        "this site, e.g. pek-t3."))
    name = LocalizedTextField(gettext_lazy("name"), multiline=False)
    site_type = models.CharField(gettext_lazy("site type"), max_length=32,
                                 choices=SITE_TYPE_CHOICES)
    region = models.CharField(gettext_lazy("region"), max_length=32, validators=[validate_region],
                              help_text=gettext_lazy("ISO 3166 code, e.g. CN-BJ."))

    class Meta:
        ordering = ("bundle_id",)
        verbose_name = gettext_lazy("site")
        verbose_name_plural = gettext_lazy("sites")

    def __str__(self) -> str:
        return f"{display_text(self.name)} ({self.bundle_id})"


class Notice(Timestamps, Approval, Validity, Targeting):
    """An official notice."""

    bundle_id = models.CharField(gettext_lazy("ID"), max_length=128, unique=True,
                                 default=new_notice_id, validators=[validate_bundle_id])
    title = LocalizedTextField(gettext_lazy("title"), multiline=False,
                               help_text=gettext_lazy("One line: about 20 Chinese characters "
                                                      "or 50 letters."))
    body = LocalizedTextField(gettext_lazy("body"),
                              help_text=gettext_lazy("At most three short paragraphs, "
                                                     "separated by an empty line."))
    instruction = LocalizedTextField(gettext_lazy("what to do"), blank=True)
    severity = models.CharField(gettext_lazy("severity"), max_length=16,
                                choices=Severity.choices, default=Severity.INFO)
    issuer = LocalizedTextField(gettext_lazy("issuer"), multiline=False, blank=True,
                                help_text=gettext_lazy("Leave empty to use the issuer in the "
                                                       "bundle settings."))
    source_url = models.CharField(gettext_lazy("official link"), max_length=MAX_URL_LENGTH,
                                  blank=True, validators=[validate_http_url],
                                  help_text=gettext_lazy("Kiosks show it as a QR code."))
    published_at = models.DateTimeField(gettext_lazy("issued at"), null=True, blank=True,
                                        help_text=gettext_lazy("When the issuer published it."))
    feed_source = models.ForeignKey("content.FeedSource", on_delete=models.SET_NULL, null=True,
                                    blank=True, editable=False, related_name="notices",
                                    verbose_name=gettext_lazy("imported from"))
    cap_sender = models.CharField(gettext_lazy("CAP sender"), max_length=512, blank=True,
                                  editable=False)
    cap_identifier = models.CharField(gettext_lazy("CAP identifier"), max_length=512,
                                      blank=True, editable=False)
    takeover = models.BooleanField(
        gettext_lazy("take over kiosk screens"), default=False,
        help_text=gettext_lazy("Kiosks show the notice full screen while it is in force. "
                               "Urgent broadcasts set this."))

    class Meta:
        ordering = ("-updated_at",)
        verbose_name = gettext_lazy("notice")
        verbose_name_plural = gettext_lazy("notices")
        indexes = (models.Index(fields=["cap_sender", "cap_identifier"]),)

    def __str__(self) -> str:
        return display_text(self.title) or self.bundle_id


class TravelRule(Timestamps, Approval, Validity, Targeting):
    """A rule in force for travellers."""

    bundle_id = models.CharField(gettext_lazy("ID"), max_length=128, unique=True,
                                 default=new_rule_id, validators=[validate_bundle_id])
    title = LocalizedTextField(gettext_lazy("title"), multiline=False)
    body = LocalizedTextField(gettext_lazy("body"))
    source_url = models.CharField(gettext_lazy("official link"), max_length=MAX_URL_LENGTH,
                                  blank=True, validators=[validate_http_url])
    position = models.IntegerField(gettext_lazy("position"), default=0,
                                   help_text=gettext_lazy("Lower numbers are shown first."))

    class Meta:
        ordering = ("position", "bundle_id")
        verbose_name = gettext_lazy("travel rule")
        verbose_name_plural = gettext_lazy("travel rules")

    def __str__(self) -> str:
        return display_text(self.title) or self.bundle_id


class Hotline(Timestamps, Approval, Validity, Targeting):
    """A telephone number passengers can call."""

    bundle_id = models.CharField(gettext_lazy("ID"), max_length=128, unique=True,
                                 default=new_hotline_id, validators=[validate_bundle_id])
    name = LocalizedTextField(gettext_lazy("name"), multiline=False)
    number = models.CharField(gettext_lazy("number"), max_length=32,
                              validators=[validate_phone_number])
    hours = LocalizedTextField(gettext_lazy("hours"), multiline=False,
                               help_text=gettext_lazy("When it answers, e.g. 24 hours."))
    scope = LocalizedTextField(gettext_lazy("what to call for"), multiline=False)
    position = models.IntegerField(gettext_lazy("position"), default=0,
                                   help_text=gettext_lazy("Lower numbers are shown first."))

    class Meta:
        ordering = ("position", "bundle_id")
        verbose_name = gettext_lazy("hotline")
        verbose_name_plural = gettext_lazy("hotlines")

    def __str__(self) -> str:
        return f"{display_text(self.name) or self.bundle_id} {self.number}"


class SymptomGuidance(Timestamps, Approval, Validity, Targeting):
    """Advice for one symptom."""

    bundle_id = models.CharField(gettext_lazy("ID"), max_length=128, unique=True,
                                 default=new_symptom_id, validators=[validate_bundle_id])
    title = LocalizedTextField(gettext_lazy("title"), multiline=False)
    body = LocalizedTextField(gettext_lazy("body"))
    hotlines = models.ManyToManyField(Hotline, blank=True, related_name="+",
                                      through="SymptomHotline",
                                      verbose_name=gettext_lazy("hotlines"))
    position = models.IntegerField(gettext_lazy("position"), default=0,
                                   help_text=gettext_lazy("Lower numbers are shown first."))

    class Meta:
        ordering = ("position", "bundle_id")
        verbose_name = gettext_lazy("symptom guidance")
        verbose_name_plural = gettext_lazy("symptom guidance")

    def __str__(self) -> str:
        return display_text(self.title) or self.bundle_id


class RiskLevel(Timestamps):
    """One of the four risk colours, with who is at that level and what to do."""

    colour = models.CharField(gettext_lazy("colour"), max_length=8, choices=Colour.choices,
                              unique=True)
    rank = models.PositiveSmallIntegerField(editable=False, default=0)
    label = LocalizedTextField(gettext_lazy("label"), multiline=False)
    criteria = LocalizedTextField(gettext_lazy("criteria"))
    advice = LocalizedTextField(gettext_lazy("advice"))
    hotlines = models.ManyToManyField(Hotline, blank=True, related_name="+",
                                      through="RiskLevelHotline",
                                      verbose_name=gettext_lazy("hotlines"))

    class Meta:
        ordering = ("rank",)
        verbose_name = gettext_lazy("risk level")
        verbose_name_plural = gettext_lazy("risk levels")

    def __str__(self) -> str:
        return display_text(self.label) or self.get_colour_display()

    def save(self, *args: object, **kwargs: object) -> None:
        self.rank = COLOUR_ORDER.index(Colour(self.colour)) if self.colour in Colour.values else 0
        super().save(*args, **kwargs)


class HotlineLink(models.Model):
    """A hotline shown with an item as a number to call, with its place in the list."""

    hotline = models.ForeignKey(Hotline, on_delete=models.CASCADE, related_name="+",
                                verbose_name=gettext_lazy("hotline"))
    position = models.IntegerField(gettext_lazy("position"), default=0)

    class Meta:
        abstract = True
        ordering = ("position", "pk")

    def __str__(self) -> str:
        return str(self.hotline)


class SymptomHotline(HotlineLink):
    symptom = models.ForeignKey(SymptomGuidance, on_delete=models.CASCADE,
                                related_name="hotline_links")

    class Meta(HotlineLink.Meta):
        constraints = (models.UniqueConstraint(fields=["symptom", "hotline"],
                                               name="content_symptomhotline_unique"),)
        verbose_name = gettext_lazy("hotline to call")
        verbose_name_plural = gettext_lazy("hotlines to call")


class RiskLevelHotline(HotlineLink):
    risk_level = models.ForeignKey(RiskLevel, on_delete=models.CASCADE,
                                   related_name="hotline_links")

    class Meta(HotlineLink.Meta):
        constraints = (models.UniqueConstraint(fields=["risk_level", "hotline"],
                                               name="content_risklevelhotline_unique"),)
        verbose_name = gettext_lazy("hotline to call")
        verbose_name_plural = gettext_lazy("hotlines to call")


class SelfCheckQuestion(Timestamps):
    """A yes/no question of the self-check."""

    bundle_id = models.CharField(gettext_lazy("ID"), max_length=128, unique=True,
                                 default=new_question_id, validators=[validate_bundle_id])
    text = LocalizedTextField(gettext_lazy("question"))
    position = models.IntegerField(gettext_lazy("position"), default=0,
                                   help_text=gettext_lazy("Lower numbers are asked first."))

    class Meta:
        ordering = ("position", "bundle_id")
        verbose_name = gettext_lazy("self-check question")
        verbose_name_plural = gettext_lazy("self-check questions")

    def __str__(self) -> str:
        return display_text(self.text) or self.bundle_id


class SelfCheckRule(Timestamps):
    """A row of the self-check decision table: any of these answered yes gives this colour."""

    position = models.IntegerField(gettext_lazy("position"), default=0,
                                   help_text=gettext_lazy("Rows are tried from the lowest "
                                                          "number; the first match wins."))
    any_yes = models.ManyToManyField(SelfCheckQuestion, blank=True, related_name="rules",
                                     verbose_name=gettext_lazy("any of these answered yes"),
                                     help_text=gettext_lazy("Leave empty for the last row, "
                                                            "which matches everyone else."))
    colour = models.CharField(gettext_lazy("colour"), max_length=8, choices=Colour.choices)

    class Meta:
        ordering = ("position", "pk")
        verbose_name = gettext_lazy("self-check rule")
        verbose_name_plural = gettext_lazy("self-check rules")

    def __str__(self) -> str:
        return f"{self.position}: {self.get_colour_display()}"


class BundleSettings(Timestamps):
    """Settings of every published bundle; there is one row."""

    issuer = LocalizedTextField(gettext_lazy("issuer"), multiline=False,
                                help_text=gettext_lazy("Who publishes the content; kiosks "
                                                       "show it in their footer."))
    expiry_days = models.PositiveIntegerField(
        gettext_lazy("days until content is out of date"), default=30,
        validators=[MinValueValidator(1), MaxValueValidator(3650)],
        help_text=gettext_lazy("After this many days without a new publish, kiosks warn "
                               "that their information may be out of date."))
    sample = models.BooleanField(
        gettext_lazy("sample content"), default=False,
        help_text=gettext_lazy("Kiosks mark sample content as not official."))
    self_check_guidance_url = models.CharField(
        gettext_lazy("self-check guidance link"), max_length=MAX_URL_LENGTH, blank=True,
        validators=[validate_http_url])

    class Meta:
        verbose_name = gettext_lazy("bundle settings")
        verbose_name_plural = gettext_lazy("bundle settings")

    def __str__(self) -> str:
        return str(gettext_lazy("Bundle settings"))

    @classmethod
    def load(cls) -> BundleSettings:
        """Return the settings row, creating it on first use."""
        row, _created = cls.objects.get_or_create(pk=1)
        return row


class FeedSource(Timestamps, Targeting):
    """An official CAP, RSS or Atom feed whose items the console imports as notices."""

    name = models.CharField(gettext_lazy("name"), max_length=200)
    url = models.CharField(gettext_lazy("feed URL"), max_length=MAX_URL_LENGTH,
                           validators=[validate_http_url],
                           help_text=gettext_lazy("An https address of a CAP 1.2, RSS or "
                                                  "Atom feed."))
    auto_approve = models.BooleanField(
        gettext_lazy("approve imported notices"), default=False,
        help_text=gettext_lazy("Imported notices are approved at once instead of waiting as "
                               "drafts. Use only for feeds of the issuing authority itself."))
    enabled = models.BooleanField(gettext_lazy("enabled"), default=True)
    etag = models.CharField(max_length=512, blank=True, editable=False)
    last_modified = models.CharField(max_length=128, blank=True, editable=False)
    last_import_at = models.DateTimeField(gettext_lazy("last import"), null=True, blank=True,
                                          editable=False)
    last_import_ok = models.BooleanField(gettext_lazy("last import succeeded"), null=True,
                                         editable=False)
    last_message = models.TextField(gettext_lazy("last result"), blank=True, editable=False)

    class Meta:
        ordering = ("name",)
        verbose_name = gettext_lazy("official feed")
        verbose_name_plural = gettext_lazy("official feeds")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        from kiosk.admin.content.feeds import check_feed_url

        problem = check_feed_url(self.url)
        if problem:
            raise ValidationError({"url": problem})


class Publication(models.Model):
    """One publish: which bundle version went out, who published it and when."""

    version = models.PositiveIntegerField(gettext_lazy("version"), unique=True)
    published_at = models.DateTimeField(gettext_lazy("published at"), default=timezone.now)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                     null=True, related_name="+",
                                     verbose_name=gettext_lazy("published by"))
    bundle_sha256 = models.CharField(gettext_lazy("bundle SHA-256"), max_length=64)
    counts = models.JSONField(gettext_lazy("items"), default=dict)
    kiosk_settings = models.BooleanField(gettext_lazy("kiosk settings included"),
                                         default=False)
    note = models.CharField(gettext_lazy("note"), max_length=500, blank=True)

    class Meta:
        ordering = ("-version",)
        verbose_name = gettext_lazy("publication")
        verbose_name_plural = gettext_lazy("publications")
        permissions = (
            ("approve_content", gettext_lazy("Can approve content for publishing")),
            ("publish_bundle", gettext_lazy("Can publish content to kiosks")),
            ("send_broadcast", gettext_lazy("Can send an urgent broadcast")),
            ("import_feed", gettext_lazy("Can import official feeds")),
        )

    def __str__(self) -> str:
        return str(gettext_lazy("Version %(version)d") % {"version": self.version})
