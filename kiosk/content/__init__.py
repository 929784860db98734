"""Content bundles: the schema, loading and validation, and selection."""

from kiosk.content.errors import ContentError
from kiosk.content.loader import load_bundle, parse_bundle, validate_document
from kiosk.content.selection import Selection, select_content

__all__ = ["ContentError", "Selection", "load_bundle", "parse_bundle", "select_content",
           "validate_document"]
