"""Translation completeness: which passenger-facing texts of a bundle lack a language."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from kiosk.content.validation import bundle_schema, json_path

_TEXT_REF = "#/$defs/text"


def text_fields(document: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, str]]]:
    """Yield the JSON path and value of every text field in a validated bundle document.

    A text field is any value the schema declares as ``#/$defs/text``, so the
    list follows the schema as fields are added.
    """
    schema = bundle_schema()
    yield from _walk(schema, schema, document, [])


def missing_translations(document: Mapping[str, Any], language: str) -> list[str]:
    """Return the JSON paths of text fields that have no text in ``language``."""
    return [path for path, text in text_fields(document) if not text.get(language)]


def _walk(root: Mapping[str, Any], node: Mapping[str, Any], value: Any,
          path: list[str | int]) -> Iterator[tuple[str, Mapping[str, str]]]:
    ref = node.get("$ref")
    if ref == _TEXT_REF:
        yield json_path(path), value
        return
    if ref is not None:
        node = root["$defs"][ref.removeprefix("#/$defs/")]
    if isinstance(value, dict):
        properties = node.get("properties", {})
        for key, member in value.items():
            if key in properties:
                yield from _walk(root, properties[key], member, [*path, key])
    elif isinstance(value, list) and "items" in node:
        for index, item in enumerate(value):
            yield from _walk(root, node["items"], item, [*path, index])
