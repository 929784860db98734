"""Content bundles: the schema, loading and validation, and selection."""

from kiosk.content.completeness import missing_translations
from kiosk.content.decision import check_decision_table, evaluate_self_check
from kiosk.content.errors import ContentError
from kiosk.content.loader import (
    build_bundle,
    decode_document,
    load_bundle,
    parse_bundle,
    validate_document,
)
from kiosk.content.selection import Selection, select_content

__all__ = ["ContentError", "Selection", "build_bundle", "check_decision_table",
           "decode_document", "evaluate_self_check", "load_bundle", "missing_translations",
           "parse_bundle", "select_content", "validate_document"]
