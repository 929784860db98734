"""Errors raised while reading content."""

from __future__ import annotations


class ContentError(ValueError):
    """A bundle that cannot be used, with where and why.

    ``source`` names the file or download, ``location`` is a JSON path such as
    ``$.notices[2].severity``, ``value`` is the offending value (shortened) and
    ``expected`` says what would have been accepted.
    """

    def __init__(self, source: str, location: str, problem: str, value: object = None,
                 expected: str | None = None) -> None:
        self.source = source
        self.location = location
        self.problem = problem
        self.value = value
        self.expected = expected
        super().__init__(self._format())

    def _format(self) -> str:
        message = f"{self.source}: {self.location}: {self.problem}"
        if self.value is not None:
            shown = repr(self.value)
            if len(shown) > 80:
                shown = shown[:77] + "..."
            message += f" (got {shown})"
        if self.expected:
            message += f"; expected {self.expected}"
        return message
