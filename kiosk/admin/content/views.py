"""The console's pages beside the model admin: preview, translations, publish, urgent broadcast.

Each view is wrapped by ``ConsoleAdminSite.admin_view``, which requires a
logged-in staff user and applies the admin's CSRF protection; each view then
checks its own permission.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.models import ADDITION, LogEntry
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy

from kiosk.admin.content.export import (
    Problem,
    Source,
    describe,
    export_bundle,
    missing_text,
    publish_problems,
    validation_problems,
)
from kiosk.admin.content.fields import LANGUAGES, language_label
from kiosk.admin.content.forms import BroadcastForm, PreviewForm, PublishForm
from kiosk.admin.content.models import Notice, Publication, Severity
from kiosk.admin.content.preview import build_screen
from kiosk.admin.content.publishing import (
    KIOSK_SETTINGS_TARGET,
    PublishFailed,
    PublishRefused,
    kiosk_settings,
    publish_content,
)
from kiosk.content import build_bundle, missing_translations
from kiosk.content.completeness import text_fields
from kiosk.i18n.languages import DEFAULT_LANGUAGE, endonym

logger = logging.getLogger(__name__)


def admin_url(source: Source | None) -> str | None:
    """Return the admin page where ``source`` is edited: its change page or its list."""
    if source is None:
        return None
    meta = source._meta
    try:
        if isinstance(source, type):
            return reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        return reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[source.pk])
    except NoReverseMatch:
        return None


def _problem_rows(problems: list[Problem]) -> list[dict[str, Any]]:
    return [{"message": problem.message, "url": admin_url(problem.source)}
            for problem in problems]


def _require(request: HttpRequest, permission: str) -> None:
    if not request.user.has_perm(permission):
        raise PermissionDenied


def _context(request: HttpRequest, title: Any, **values: Any) -> dict[str, Any]:
    return {**admin.site.each_context(request), "title": title, **values}


def preview(request: HttpRequest) -> HttpResponse:
    """Show what a kiosk at a chosen site shows in a chosen language at a chosen moment."""
    _require(request, "content.view_notice")
    form = PreviewForm(request.GET or None)
    context = _context(request, gettext_lazy("Preview"), form=form)
    if request.GET and not form.is_valid():
        return TemplateResponse(request, "content/preview.html", context)

    choices = form.cleaned_data if request.GET else {}
    language = choices.get("language") or DEFAULT_LANGUAGE
    site_id = choices.get("site") or None
    include_drafts = bool(choices.get("drafts"))
    now = timezone.now()
    moment: datetime = choices.get("moment") or now
    # A bundle published after the moment would make the kiosk treat its clock as
    # wrong, so the preview bundle counts as published no later than the moment.
    export = export_bundle(now=min(now, moment), include_drafts=include_drafts)
    problems = validation_problems(export)
    context["problems"] = _problem_rows(export.problems + problems)
    if not problems:
        bundle = build_bundle(export.document)
        context["screen"] = build_screen(bundle, now=moment, site_id=site_id, language=language,
                                         zone=timezone.get_current_timezone())
    query = request.GET.copy()
    context["language_links"] = []
    for code in LANGUAGES:
        query["language"] = code
        context["language_links"].append({"code": code, "name": endonym(code),
                                          "html_lang": code.replace("_", "-"),
                                          "url": "?" + query.urlencode(),
                                          "current": code == language})
    return TemplateResponse(request, "content/preview.html", context)


def translations(request: HttpRequest) -> HttpResponse:
    """Show, per language, which items lack text, drafts included, with links to fix them."""
    _require(request, "content.view_notice")
    export = export_bundle(now=timezone.now(), include_drafts=True)
    total = sum(1 for _ in text_fields(export.document))
    rows = []
    for language in LANGUAGES:
        missing = missing_text(export, language)
        missing_count = len(missing_translations(export.document, language))
        rows.append({
            "code": language,
            "label": language_label(language),
            "html_lang": language.replace("_", "-"),
            "missing_count": missing_count,
            "complete_count": total - missing_count,
            "items": [{"name": describe(source), "url": admin_url(source),
                       "fields": ", ".join(fields),
                       "draft": getattr(source, "status", "") == "draft"}
                      for source, fields in missing],
            "default": language == DEFAULT_LANGUAGE,
        })
    context = _context(request, gettext_lazy("Translation completeness"), rows=rows,
                       total=total)
    return TemplateResponse(request, "content/translations.html", context)


def publish(request: HttpRequest) -> HttpResponse:
    """Show what a publish would send; on POST, publish it (publishers only)."""
    _require(request, "content.view_publication")
    can_publish = request.user.has_perm("content.publish_bundle")
    form = PublishForm(request.POST or None)
    if request.method == "POST":
        if not can_publish:
            raise PermissionDenied
        if form.is_valid():
            try:
                publication = publish_content(request.user, now=timezone.now(),
                                              note=form.cleaned_data["note"])
            except PublishRefused:
                messages.error(request, gettext_lazy(
                    "Nothing was published. Fix the problems listed below and publish again."))
            except PublishFailed as error:
                messages.error(request, gettext_lazy(
                    "Publishing failed: %(error)s") % {"error": error})
            else:
                messages.success(request, gettext_lazy(
                    "Published version %(version)d. Kiosks install it at their next sync.")
                    % {"version": publication.version})
                return HttpResponseRedirect(reverse("admin:console_publish"))

    now = timezone.now()
    export = export_bundle(now=now)
    remote = kiosk_settings(now)
    context = _context(
        request, gettext_lazy("Publish"),
        form=form,
        can_publish=can_publish,
        counts=export.counts,
        problems=_problem_rows(publish_problems(export)),
        drafts=[{"name": describe(item), "url": admin_url(item)} for item in export.drafts],
        kiosk_settings=remote,
        kiosk_settings_target=KIOSK_SETTINGS_TARGET,
        last=Publication.objects.select_related("published_by").first(),
        repository_url=request.build_absolute_uri(reverse("repository_file",
                                                          args=["metadata/root.json"])),
    )
    return TemplateResponse(request, "content/publish.html", context)


def _target_description(form: BroadcastForm) -> str:
    scope = form.cleaned_data["scope"]
    if scope == BroadcastForm.SCOPE_SITE_TYPE:
        return str(gettext_lazy("site type %(value)s") % {"value": form.cleaned_data["site_type"]})
    if scope == BroadcastForm.SCOPE_REGION:
        return str(gettext_lazy("region %(value)s") % {"value": form.cleaned_data["region"]})
    return str(gettext_lazy("all kiosks"))


def _create_broadcast(form: BroadcastForm, user: models.Model, now: datetime) -> Notice:
    scope = form.cleaned_data["scope"]
    notice = Notice(
        title=form.cleaned_data["title"], body=form.cleaned_data["body"],
        severity=Severity.URGENT, takeover=True, published_at=now, valid_from=now,
        valid_until=now + timedelta(hours=form.cleaned_data["hours"]),
        target_site_types=[form.cleaned_data["site_type"]]
        if scope == BroadcastForm.SCOPE_SITE_TYPE else [],
        target_regions=[form.cleaned_data["region"]]
        if scope == BroadcastForm.SCOPE_REGION else [])
    notice.approve(user, now)
    notice.full_clean()
    notice.save()
    LogEntry.objects.log_actions(user_id=user.pk, queryset=[notice], action_flag=ADDITION,
                                 change_message=[{"added": {}}], single_object=True)
    return notice


def broadcast(request: HttpRequest) -> HttpResponse:
    """Create an approved urgent notice for all kiosks, a site type or a region, and publish."""
    _require(request, "content.send_broadcast")
    _require(request, "content.publish_bundle")
    form = BroadcastForm(request.POST or None)
    problems: list[Problem] = []
    if request.method == "POST" and form.is_valid():
        now = timezone.now()
        target = _target_description(form)
        try:
            with transaction.atomic():
                notice = _create_broadcast(form, request.user, now)
                publication = publish_content(
                    request.user, now=now,
                    note=str(gettext_lazy("Urgent broadcast to %(target)s: %(title)s")
                             % {"target": target, "title": notice}))
        except PublishRefused as refusal:
            problems = refusal.problems
            messages.error(request, gettext_lazy(
                "The broadcast was not sent. Fix the problems listed below and send it again."))
        except PublishFailed as error:
            messages.error(request, gettext_lazy(
                "The broadcast was not sent: publishing failed: %(error)s") % {"error": error})
        else:
            messages.success(request, gettext_lazy(
                "Urgent notice sent to %(target)s in version %(version)d.")
                % {"target": target, "version": publication.version})
            return HttpResponseRedirect(
                reverse("admin:content_notice_change", args=[notice.pk]))
    context = _context(request, gettext_lazy("Urgent broadcast"), form=form,
                       problems=_problem_rows(problems))
    return TemplateResponse(request, "content/broadcast.html", context)
