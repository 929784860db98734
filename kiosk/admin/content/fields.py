"""Model and form fields for bundle values: text in several languages, site types and regions.

Patterns and limits come from the bundle JSON Schema, so the console accepts
what the bundle accepts.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy

from kiosk.content.validation import bundle_schema
from kiosk.i18n.languages import KIOSK_LANGUAGES, endonym, text_direction

_DEFINITIONS = bundle_schema()["$defs"]

#: Languages an editor writes in, in the order of the kiosk's language bar.
LANGUAGES: tuple[str, ...] = KIOSK_LANGUAGES
#: Maximum length of a text in one language, in characters.
MAX_TEXT_LENGTH: int = _DEFINITIONS["text"]["additionalProperties"]["maxLength"]
#: Maximum length of a link, in characters.
MAX_URL_LENGTH: int = _DEFINITIONS["url"]["maxLength"]
ID_PATTERN: str = _DEFINITIONS["id"]["pattern"]
REGION_PATTERN: str = _DEFINITIONS["region"]["pattern"]
PHONE_NUMBER_PATTERN: str = _DEFINITIONS["hotline"]["properties"]["number"]["pattern"]
SITE_TYPES: tuple[str, ...] = tuple(_DEFINITIONS["site_type"]["enum"])

SITE_TYPE_LABELS = {
    "airport": gettext_lazy("Airport"),
    "railway_station": gettext_lazy("Railway station"),
    "metro_station": gettext_lazy("Metro station"),
    "coach_station": gettext_lazy("Coach station"),
    "ferry_terminal": gettext_lazy("Ferry terminal"),
    "highway_checkpoint": gettext_lazy("Highway checkpoint"),
}
SITE_TYPE_CHOICES = [(site_type, SITE_TYPE_LABELS.get(site_type, site_type))
                     for site_type in SITE_TYPES]

validate_bundle_id = RegexValidator(
    ID_PATTERN,
    gettext_lazy("Use 1 to 128 letters, digits, dots, underscores, colons or hyphens, "
                 "starting with a letter or digit."), code="invalid_id")
validate_region = RegexValidator(
    REGION_PATTERN,
    gettext_lazy("Use an ISO 3166 code such as CN or CN-BJ."), code="invalid_region")
validate_phone_number = RegexValidator(
    PHONE_NUMBER_PATTERN,
    gettext_lazy("Use digits, spaces and hyphens, optionally starting with +; "
                 "2 to 32 characters."), code="invalid_number")


def language_label(language: str) -> str:
    """Return the label of a language input: its own name and its code, e.g. 日本語 (ja)."""
    return f"{endonym(language)} ({language})"


def html_language(language: str) -> str:
    """Return the BCP 47 tag for an HTML ``lang`` attribute, e.g. zh-Hans for zh_Hans."""
    return language.replace("_", "-")


class LocalizedTextWidget(forms.MultiWidget):
    """One input per kiosk language, each labelled and marked with its language and direction."""

    template_name = "content/widgets/localized_text.html"

    def __init__(self, multiline: bool = True, attrs: dict[str, Any] | None = None) -> None:
        widgets: dict[str, forms.Widget] = {}
        for language in LANGUAGES:
            language_attrs = {"lang": html_language(language), "dir": text_direction(language)}
            if multiline:
                widgets[language] = forms.Textarea(attrs={"rows": 3, "cols": 60,
                                                          **language_attrs})
            else:
                widgets[language] = forms.TextInput(attrs={"size": 60, **language_attrs})
        super().__init__(widgets, attrs)

    def decompress(self, value: Any) -> list[str]:
        if isinstance(value, Mapping):
            return [str(value.get(language, "")) for language in LANGUAGES]
        return ["" for _ in LANGUAGES]

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context(name, value, attrs)
        base_id = context["widget"]["attrs"].get("id")
        for language, subwidget in zip(LANGUAGES, context["widget"]["subwidgets"], strict=True):
            subwidget["language_label"] = language_label(language)
            subwidget["language"] = language
            if base_id:
                # Name inputs by language (id_title_ja) rather than by position (id_title_3).
                subwidget["attrs"]["id"] = f"{base_id}_{language}"
        return context

    class Media:
        css: ClassVar[dict[str, tuple[str, ...]]] = {"all": ("content/console.css",)}


class LocalizedTextFormField(forms.MultiValueField):
    """Form field for passenger-facing text: returns ``{language: text}`` without empty entries.

    A required field needs text in at least one language.
    """

    def __init__(self, *, multiline: bool = True, max_length: int = MAX_TEXT_LENGTH,
                 **kwargs: Any) -> None:
        fields = tuple(forms.CharField(required=False, max_length=max_length, strip=True)
                       for _ in LANGUAGES)
        kwargs.setdefault("widget", LocalizedTextWidget(multiline=multiline))
        super().__init__(fields=fields, require_all_fields=False, **kwargs)

    def compress(self, data_list: Sequence[str]) -> dict[str, str]:
        return {language: text for language, text in zip(LANGUAGES, data_list, strict=False)
                if text}


class LocalizedTextField(models.JSONField):
    """Passenger-facing text stored as a JSON object from language to text, as in the bundle."""

    def __init__(self, *args: Any, multiline: bool = True, **kwargs: Any) -> None:
        self.multiline = multiline
        kwargs.setdefault("default", dict)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        if not self.multiline:
            kwargs["multiline"] = False
        return name, path, args, kwargs

    def validate(self, value: Any, model_instance: models.Model | None) -> None:
        super().validate(value, model_instance)
        if value in self.empty_values:
            return
        if not isinstance(value, Mapping):
            raise ValidationError(gettext_lazy("Expected text by language."), code="invalid")
        for language, text in value.items():
            if language not in LANGUAGES:
                raise ValidationError(
                    gettext_lazy("%(language)s is not one of the console's languages."),
                    code="invalid_language", params={"language": language})
            if not isinstance(text, str) or not text.strip():
                raise ValidationError(gettext_lazy("The %(language)s text is empty."),
                                      code="empty_text", params={"language": language})
            if len(text) > MAX_TEXT_LENGTH:
                raise ValidationError(
                    gettext_lazy("The %(language)s text is longer than %(limit)d characters."),
                    code="too_long", params={"language": language, "limit": MAX_TEXT_LENGTH})

    def formfield(self, **kwargs: Any) -> forms.Field:
        # JSONField.formfield would pass encoder arguments that this form field does not take.
        kwargs.pop("form_class", None)
        defaults: dict[str, Any] = {"required": not self.blank,
                                    "label": capfirst(self.verbose_name),
                                    "help_text": self.help_text, "multiline": self.multiline}
        defaults.update(kwargs)
        return LocalizedTextFormField(**defaults)


class SiteTypesField(models.JSONField):
    """A list of site types, edited as checkboxes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("default", list)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def validate(self, value: Any, model_instance: models.Model | None) -> None:
        super().validate(value, model_instance)
        for site_type in value or []:
            if site_type not in SITE_TYPES:
                raise ValidationError(gettext_lazy("Unknown site type %(value)s."),
                                      code="invalid_site_type", params={"value": site_type})

    def formfield(self, **kwargs: Any) -> forms.Field:
        kwargs.pop("form_class", None)
        defaults: dict[str, Any] = {"required": not self.blank, "choices": SITE_TYPE_CHOICES,
                                    "label": capfirst(self.verbose_name),
                                    "help_text": self.help_text,
                                    "widget": forms.CheckboxSelectMultiple}
        defaults.update(kwargs)
        return forms.MultipleChoiceField(**defaults)


# Editors typing Chinese often separate with full-width commas and semicolons.
_REGION_SEPARATORS = re.compile(r"[\s,，、;；]+")  # noqa: RUF001


class RegionListFormField(forms.CharField):
    """Regions typed as text, separated by commas or spaces: ``CN-BJ, CN-SH``."""

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return ", ".join(value)
        return value

    def to_python(self, value: Any) -> list[str]:
        text = super().to_python(value)
        regions: list[str] = []
        for part in _REGION_SEPARATORS.split(text.upper()):
            if part and part not in regions:
                regions.append(part)
        return regions

    def validate(self, value: Any) -> None:
        super().validate(value)
        for region in value:
            validate_region(region)

    def has_changed(self, initial: Any, data: Any) -> bool:
        return bool(self.to_python(data) != list(initial or []))


class RegionsField(models.JSONField):
    """A list of ISO 3166 region codes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("default", list)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def validate(self, value: Any, model_instance: models.Model | None) -> None:
        super().validate(value, model_instance)
        for region in value or []:
            validate_region(region)

    def formfield(self, **kwargs: Any) -> forms.Field:
        kwargs.pop("form_class", None)
        defaults: dict[str, Any] = {"required": not self.blank,
                                    "label": capfirst(self.verbose_name),
                                    "help_text": self.help_text,
                                    "widget": forms.TextInput(attrs={"size": 40})}
        defaults.update(kwargs)
        return RegionListFormField(**defaults)
