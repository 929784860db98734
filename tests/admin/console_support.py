"""Paths and helpers shared by the admin console tests."""

from __future__ import annotations

from pathlib import Path

from django.utils import timezone

from kiosk.admin.content.importing import import_bundle_document
from kiosk.content import decode_document

REPO = Path(__file__).resolve().parents[2]
MINIMAL_BUNDLE = REPO / "tests" / "fixtures" / "content" / "minimal-bundle.json"
DEFAULT_BUNDLE = REPO / "assets" / "content" / "default-bundle.json"
FEED_FIXTURES = REPO / "tests" / "fixtures" / "feeds"
#: Password of the users made by the ``make_user`` fixture with ``password=True``.
PASSWORD = "correct horse battery staple"  # noqa: S105 - a test password


def load_bundle_file(path: Path) -> dict[str, int]:
    """Load a bundle file into the console's database as approved items."""
    document = decode_document(path.read_bytes(), str(path))
    return import_bundle_document(document, source=str(path), now=timezone.now())
