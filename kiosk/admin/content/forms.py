"""Forms of the console's own pages: preview, publish and urgent broadcast."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy

from kiosk.admin.content.fields import (
    LANGUAGES,
    SITE_TYPE_CHOICES,
    LocalizedTextFormField,
    language_label,
    validate_region,
)
from kiosk.admin.content.models import Site
from kiosk.i18n.languages import DEFAULT_LANGUAGE


class PreviewForm(forms.Form):
    """Which site, language and moment to preview."""

    site = forms.ChoiceField(label=gettext_lazy("Site"), required=False)
    language = forms.ChoiceField(label=gettext_lazy("Language"),
                                 choices=[(language, language_label(language))
                                          for language in LANGUAGES],
                                 initial=DEFAULT_LANGUAGE)
    moment = forms.DateTimeField(
        label=gettext_lazy("Moment"), required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
        help_text=gettext_lazy("Leave empty for now."))
    drafts = forms.BooleanField(label=gettext_lazy("Include drafts"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["site"].choices = [("", gettext_lazy("No site (untargeted items only)"))] + [
            (site.bundle_id, str(site)) for site in Site.objects.all()]


class PublishForm(forms.Form):
    """Confirmation of a publish, with an optional note for the history."""

    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=500,
                           widget=forms.TextInput(attrs={"size": 60}),
                           help_text=gettext_lazy("Why this publish, for the history."))


class BroadcastForm(forms.Form):
    """An urgent notice sent to all kiosks, one site type or one region in one step."""

    SCOPE_ALL = "all"
    SCOPE_SITE_TYPE = "site_type"
    SCOPE_REGION = "region"

    title = LocalizedTextFormField(label=gettext_lazy("Title"), multiline=False,
                                   help_text=gettext_lazy("Simplified Chinese is required."))
    body = LocalizedTextFormField(label=gettext_lazy("Body"),
                                  help_text=gettext_lazy("Simplified Chinese is required."))
    scope = forms.ChoiceField(
        label=gettext_lazy("Send to"), widget=forms.RadioSelect, initial=SCOPE_ALL,
        choices=[(SCOPE_ALL, gettext_lazy("All kiosks")),
                 (SCOPE_SITE_TYPE, gettext_lazy("Kiosks at one site type")),
                 (SCOPE_REGION, gettext_lazy("Kiosks in one region"))])
    site_type = forms.ChoiceField(label=gettext_lazy("Site type"), required=False,
                                  choices=[("", "---------"), *SITE_TYPE_CHOICES])
    region = forms.CharField(label=gettext_lazy("Region"), required=False, max_length=32,
                             help_text=gettext_lazy("ISO 3166 code, e.g. CN-BJ."))
    hours = forms.IntegerField(label=gettext_lazy("Show for (hours)"), min_value=1,
                               max_value=24 * 14, initial=24)

    def clean_title(self) -> dict[str, str]:
        return _require_default_language(self.cleaned_data["title"])

    def clean_body(self) -> dict[str, str]:
        return _require_default_language(self.cleaned_data["body"])

    def clean_region(self) -> str:
        region: str = self.cleaned_data["region"].strip().upper()
        if region:
            validate_region(region)
        return region

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        scope = cleaned.get("scope")
        if scope == self.SCOPE_SITE_TYPE and not cleaned.get("site_type"):
            self.add_error("site_type", gettext_lazy("Choose the site type."))
        if scope == self.SCOPE_REGION and not cleaned.get("region"):
            self.add_error("region", gettext_lazy("Enter the region."))
        return cleaned


def _require_default_language(text: dict[str, str]) -> dict[str, str]:
    if not text.get(DEFAULT_LANGUAGE):
        raise forms.ValidationError(gettext_lazy("Enter the Simplified Chinese text."),
                                    code="missing_default_language")
    return text
