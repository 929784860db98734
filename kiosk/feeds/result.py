"""The result of parsing one feed document."""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.content.model import Notice

#: One Common Alerting Protocol alert document.
KIND_CAP = "cap"
#: An Atom or RSS listing whose entries link to CAP documents.
KIND_CAP_INDEX = "cap-index"
#: An RSS 0.9x, 1.0 or 2.0 feed.
KIND_RSS = "rss"
#: An Atom 0.3 or 1.0 feed.
KIND_ATOM = "atom"


@dataclass(frozen=True)
class ParsedFeed:
    """Notices found in a feed document, and for a CAP index the alerts it lists.

    CAP notices, Cancel messages included, must go through
    ``reconcile_alerts`` before they are shown.
    """

    kind: str
    notices: tuple[Notice, ...]
    #: For a CAP index, the http(s) URLs of the CAP documents it lists, in
    #: document order without duplicates; empty for every other kind.
    linked_alerts: tuple[str, ...] = ()
