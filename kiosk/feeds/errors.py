"""The one error type the feed parsers raise for input they cannot use."""

from __future__ import annotations


class FeedError(ValueError):
    """Feed bytes that are malformed, hostile, unsupported or not a feed at all.

    The message states what is wrong and where: the feed, and a line and column,
    an element or an alert identifier when one is known.
    """
