"""The anonymous self-check: one yes/no question per screen, answers kept only in memory."""

from __future__ import annotations

from typing import Any

from kivy.properties import NumericProperty

from kiosk.content.decision import evaluate_self_check
from kiosk.content.model import SelfCheck
from kiosk.content.selection import Selection
from kiosk.ui.screens.base import KioskScreen


class SelfCheckScreen(KioskScreen):
    """Asks the bundle's questions in order and hands the outcome to the result screen.

    The answers are a plain dict on this object: they are never logged,
    cached or sent, and ``reset`` drops them on idle reset, on a language
    switch and when the result screen is left.
    """

    index = NumericProperty(0)
    """Zero-based number of the question on screen."""

    total = NumericProperty(0)
    """Number of questions in the self-check."""

    def __init__(self, **kwargs: Any) -> None:
        self._answers: dict[str, bool] = {}
        super().__init__(**kwargs)
        self.app.tr.bind(language=self._language_changed)

    @property
    def self_check(self) -> SelfCheck | None:
        check: SelfCheck | None = self.app.state.bundle.self_check
        return check

    @property
    def answered(self) -> int:
        return len(self._answers)

    def populate(self, selection: Selection) -> None:
        check = self.self_check
        self.total = len(check.questions) if check else 0
        self.ids.question.source = self._question_text

    def _question_text(self, language: str) -> str:
        check = self.self_check
        if check is None or not check.questions:
            unavailable: str = self.app.tr.gettext_in(language, "The self-check is not available.")
            return unavailable
        question = check.questions[min(int(self.index), len(check.questions) - 1)]
        return self.localized(question.text)(language)

    def on_index(self, *_args: Any) -> None:
        if "question" in self.ids:
            self.ids.question._restyle()

    def start(self) -> None:
        """Begin a new self-check from the first question."""
        self.reset()
        self.app.show("selfcheck")

    def answer(self, yes: bool) -> None:
        check = self.self_check
        if check is None:
            return
        question = check.questions[int(self.index)]
        self._answers[question.id] = yes
        if int(self.index) + 1 < len(check.questions):
            self.index += 1
            return
        outcome = evaluate_self_check(check, frozenset(q for q, a in self._answers.items() if a))
        self._answers.clear()
        self.index = 0
        self.app.show_self_check_result(outcome)

    def back(self) -> None:
        """Return to the previous question, or home from the first one."""
        if int(self.index) == 0:
            self.reset()
            self.app.go_home()
            return
        self.index -= 1
        check = self.self_check
        if check is not None:
            self._answers.pop(check.questions[int(self.index)].id, None)

    def reset(self) -> None:
        self._answers.clear()
        self.index = 0

    def _language_changed(self, *_args: Any) -> None:
        # A language switch starts the check over, so answers given in one
        # language are not silently carried into another person's session.
        if self.answered:
            self.reset()
