"""Model admin of the content: one page per bundle section, approval actions, feed import.

Editors save drafts: any change an editor makes returns the item to draft,
so a publisher approves what is published. Publishers can set the status
directly and approve or return items to draft in bulk.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib import admin, messages
from django.contrib.admin.models import LogEntry
from django.db import models
from django.db.models import QuerySet
from django.forms import CheckboxSelectMultiple
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy

from kiosk.admin.content.feeds import import_feed
from kiosk.admin.content.fields import LANGUAGES
from kiosk.admin.content.models import (
    BundleSettings,
    FeedSource,
    Hotline,
    Notice,
    Publication,
    RiskLevel,
    RiskLevelHotline,
    SelfCheckQuestion,
    SelfCheckRule,
    Site,
    Status,
    SymptomGuidance,
    SymptomHotline,
    TravelRule,
    display_text,
)
from kiosk.content.decision import check_decision_table
from kiosk.content.errors import ContentError

APPROVE_PERMISSION = "content.approve_content"

_TARGETING_FIELDS = ("target_sites", "target_site_types", "target_regions")
_SCHEDULE_FIELDSET = (gettext_lazy("When and where"), {
    "fields": ("valid_from", "valid_until", *_TARGETING_FIELDS),
    "description": gettext_lazy("Leave everything empty to show the item at every site "
                                "for as long as it is published."),
})


def _translated_languages(text: dict[str, str] | None) -> str:
    return " ".join(language for language in LANGUAGES if (text or {}).get(language))


class ConsoleModelAdmin(admin.ModelAdmin):
    formfield_overrides: ClassVar[dict[Any, dict[str, Any]]] = {
        models.ManyToManyField: {"widget": CheckboxSelectMultiple}}


class ApprovalAdmin(ConsoleModelAdmin):
    """Admin of items that are drafts until a publisher approves them."""

    list_filter: tuple[str, ...] = ("status",)
    actions = ("approve_selected", "return_to_draft")
    readonly_fields: tuple[str, ...] = ("approved_by", "approved_at")

    def has_approve_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm(APPROVE_PERMISSION))

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(super().get_readonly_fields(request, obj))
        if not self.has_approve_permission(request):
            fields.append("status")
        return fields

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        now = timezone.now()
        if not self.has_approve_permission(request):
            if obj.status == Status.APPROVED:
                messages.info(request, gettext_lazy(
                    "Your change makes this item a draft again; a publisher must approve it "
                    "before it is published."))
            obj.make_draft()
        elif obj.status == Status.APPROVED and (not change or "status" in form.changed_data
                                                or obj.approved_at is None):
            obj.approve(request.user, now)
        elif obj.status == Status.DRAFT:
            obj.make_draft()
        super().save_model(request, obj, form, change)

    @admin.action(description=gettext_lazy("Approve selected items"), permissions=["approve"])
    def approve_selected(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        now = timezone.now()
        approved = 0
        for item in queryset.exclude(status=Status.APPROVED):
            item.approve(request.user, now)
            item.save()
            self.log_change(request, item, [{"changed": {"fields": [
                str(item._meta.get_field("status").verbose_name)]}}])
            approved += 1
        self.message_user(request, gettext_lazy("Approved %(count)d items.")
                          % {"count": approved}, messages.SUCCESS)

    @admin.action(description=gettext_lazy("Return selected items to draft"),
                  permissions=["approve"])
    def return_to_draft(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        changed = 0
        for item in queryset.filter(status=Status.APPROVED):
            item.make_draft()
            item.save()
            self.log_change(request, item, [{"changed": {"fields": [
                str(item._meta.get_field("status").verbose_name)]}}])
            changed += 1
        self.message_user(request, gettext_lazy("Returned %(count)d items to draft.")
                          % {"count": changed}, messages.SUCCESS)

    @admin.display(description=gettext_lazy("languages"))
    def languages(self, obj: Any) -> str:
        field = "name" if hasattr(obj, "name") else "title"
        return _translated_languages(getattr(obj, field))


@admin.register(Site)
class SiteAdmin(ConsoleModelAdmin):
    list_display = ("bundle_id", "site_name", "site_type", "region")
    list_filter = ("site_type",)
    search_fields = ("bundle_id", "region", "name")
    fields = ("bundle_id", "name", "site_type", "region")

    @admin.display(description=gettext_lazy("name"))
    def site_name(self, obj: Site) -> str:
        return display_text(obj.name)


@admin.register(Notice)
class NoticeAdmin(ApprovalAdmin):
    list_display = ("__str__", "severity", "status", "languages", "valid_from", "valid_until",
                    "feed_source", "updated_at")
    list_filter = ("status", "severity", "feed_source")
    search_fields = ("bundle_id", "title", "body", "cap_identifier")
    readonly_fields = ("approved_by", "approved_at", "feed_source", "cap_sender",
                       "cap_identifier")
    fieldsets = (
        (None, {"fields": ("title", "body", "instruction", "severity")}),
        (gettext_lazy("Source"), {"fields": ("issuer", "source_url", "published_at",
                                             "feed_source", "cap_sender", "cap_identifier"),
                                  "classes": ("collapse",)}),
        _SCHEDULE_FIELDSET,
        (gettext_lazy("Approval"), {"fields": ("status", "approved_by", "approved_at",
                                               "bundle_id")}),
    )


@admin.register(TravelRule)
class TravelRuleAdmin(ApprovalAdmin):
    list_display = ("__str__", "status", "languages", "position", "valid_until", "updated_at")
    list_editable = ("position",)
    search_fields = ("bundle_id", "title", "body")
    fieldsets = (
        (None, {"fields": ("title", "body", "source_url", "position")}),
        _SCHEDULE_FIELDSET,
        (gettext_lazy("Approval"), {"fields": ("status", "approved_by", "approved_at",
                                               "bundle_id")}),
    )


class SymptomHotlineInline(admin.TabularInline):
    model = SymptomHotline
    extra = 1
    fields = ("hotline", "position")


class RiskLevelHotlineInline(admin.TabularInline):
    model = RiskLevelHotline
    extra = 1
    fields = ("hotline", "position")


@admin.register(SymptomGuidance)
class SymptomGuidanceAdmin(ApprovalAdmin):
    list_display = ("__str__", "status", "languages", "position", "updated_at")
    list_editable = ("position",)
    search_fields = ("bundle_id", "title", "body")
    inlines = (SymptomHotlineInline,)
    fieldsets = (
        (None, {"fields": ("title", "body", "position")}),
        _SCHEDULE_FIELDSET,
        (gettext_lazy("Approval"), {"fields": ("status", "approved_by", "approved_at",
                                               "bundle_id")}),
    )


@admin.register(Hotline)
class HotlineAdmin(ApprovalAdmin):
    list_display = ("__str__", "number", "status", "languages", "position", "updated_at")
    list_editable = ("position",)
    search_fields = ("bundle_id", "number", "name")
    fieldsets = (
        (None, {"fields": ("name", "number", "hours", "scope", "position")}),
        _SCHEDULE_FIELDSET,
        (gettext_lazy("Approval"), {"fields": ("status", "approved_by", "approved_at",
                                               "bundle_id")}),
    )


@admin.register(RiskLevel)
class RiskLevelAdmin(ConsoleModelAdmin):
    list_display = ("colour", "__str__", "languages")
    fields = ("colour", "label", "criteria", "advice")
    inlines = (RiskLevelHotlineInline,)

    def has_add_permission(self, request: HttpRequest) -> bool:
        # A bundle contains exactly four risk levels, one per colour.
        return super().has_add_permission(request) and RiskLevel.objects.count() < 4

    @admin.display(description=gettext_lazy("languages"))
    def languages(self, obj: RiskLevel) -> str:
        return _translated_languages(obj.label)


class DecisionTableCheck:
    """Warn, after a self-check change, when the decision table has a gap or an unreachable row."""

    def _check_table(self, request: HttpRequest) -> None:
        questions = list(SelfCheckQuestion.objects.values_list("bundle_id", flat=True))
        rules = [{"any_yes": sorted(q.bundle_id for q in rule.any_yes.all()),
                  "colour": rule.colour}
                 for rule in SelfCheckRule.objects.prefetch_related("any_yes")]
        if not questions or not rules:
            return
        table = {"questions": [{"id": question, "text": {"zh_Hans": "-"}}
                               for question in questions], "rules": rules}
        try:
            check_decision_table(table, "self-check")
        except ContentError as error:
            messages.warning(request, gettext_lazy(
                "The self-check decision table cannot be published yet: %(error)s")
                % {"error": error})

    def save_related(self, request: HttpRequest, form: Any, formsets: Any,
                     change: bool) -> None:
        super().save_related(request, form, formsets, change)  # type: ignore[misc]
        self._check_table(request)


@admin.register(SelfCheckQuestion)
class SelfCheckQuestionAdmin(DecisionTableCheck, ConsoleModelAdmin):
    list_display = ("__str__", "bundle_id", "position")
    list_editable = ("position",)
    fields = ("text", "position", "bundle_id")


@admin.register(SelfCheckRule)
class SelfCheckRuleAdmin(DecisionTableCheck, ConsoleModelAdmin):
    list_display = ("position", "colour", "questions")
    list_display_links = ("colour",)
    list_editable = ("position",)
    fields = ("position", "any_yes", "colour")

    @admin.display(description=gettext_lazy("any of these answered yes"))
    def questions(self, obj: SelfCheckRule) -> str:
        return ", ".join(str(question) for question in obj.any_yes.all()) or "—"


@admin.register(BundleSettings)
class BundleSettingsAdmin(ConsoleModelAdmin):
    fields = ("issuer", "expiry_days", "sample", "self_check_guidance_url")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and not BundleSettings.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(FeedSource)
class FeedSourceAdmin(ConsoleModelAdmin):
    list_display = ("name", "url", "enabled", "auto_approve", "last_import_at", "last_result")
    list_filter = ("enabled", "auto_approve")
    actions = ("import_selected",)
    readonly_fields = ("last_import_at", "last_import_ok", "last_message")
    fieldsets = (
        (None, {"fields": ("name", "url", "enabled", "auto_approve")}),
        (gettext_lazy("Where imported notices are shown"), {"fields": _TARGETING_FIELDS}),
        (gettext_lazy("Last import"), {"fields": ("last_import_at", "last_import_ok",
                                                  "last_message")}),
    )

    def has_import_feed_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("content.import_feed"))

    @admin.display(description=gettext_lazy("last result"))
    def last_result(self, obj: FeedSource) -> str:
        return obj.last_message

    @admin.action(description=gettext_lazy("Import the selected feeds now"),
                  permissions=["import_feed"])
    def import_selected(self, request: HttpRequest, queryset: QuerySet[FeedSource]) -> None:
        now = timezone.now()
        for source in queryset:
            result = import_feed(source, now=now, user=request.user)
            level = messages.SUCCESS if result.ok else messages.ERROR
            self.message_user(request, result.summary(), level)


@admin.register(Publication)
class PublicationAdmin(admin.ModelAdmin):
    list_display = ("version", "published_at", "published_by", "item_counts", "short_sha256",
                    "kiosk_settings", "note")
    list_display_links = ("version",)
    readonly_fields = ("version", "published_at", "published_by", "bundle_sha256", "counts",
                       "kiosk_settings", "note")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=gettext_lazy("bundle SHA-256"))
    def short_sha256(self, obj: Publication) -> str:
        return format_html("<code title=\"{}\">{}</code>", obj.bundle_sha256,
                           obj.bundle_sha256[:12])

    @admin.display(description=gettext_lazy("items"))
    def item_counts(self, obj: Publication) -> str:
        counts = obj.counts or {}
        return str(gettext_lazy("%(notices)d notices, %(rules)d rules, %(hotlines)d hotlines")
                   % {"notices": counts.get("notices", 0), "rules": counts.get("travel_rules", 0),
                      "hotlines": counts.get("hotlines", 0)})


@admin.register(LogEntry)
class ChangeHistoryAdmin(admin.ModelAdmin):
    """Every change made in the console, with who and when, read-only."""

    list_display = ("action_time", "user", "content_type", "object_repr", "action_flag",
                    "change_description")
    list_filter = ("action_flag", "content_type")
    search_fields = ("object_repr", "user__username")
    date_hierarchy = "action_time"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=gettext_lazy("change"))
    def change_description(self, obj: LogEntry) -> str:
        return str(obj.get_change_message())
