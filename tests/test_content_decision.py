"""Tests for the self-check decision table: completeness checks and evaluation."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest

from kiosk.content import ContentError, check_decision_table, evaluate_self_check, load_bundle
from kiosk.content.decision import first_matching_rule
from kiosk.content.model import RiskColour, SelfCheck, SelfCheckQuestion, SelfCheckRule

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BUNDLE = ROOT / "assets" / "content" / "default-bundle.json"
SOURCE = "bundle.json"


def table(question_ids: list[str], rules: list[tuple[list[str], str]]) -> dict[str, Any]:
    return {
        "questions": [{"id": qid, "text": {"en": qid}} for qid in question_ids],
        "rules": [{"any_yes": any_yes, "colour": colour} for any_yes, colour in rules],
    }


def check_error(section: dict[str, Any]) -> ContentError:
    with pytest.raises(ContentError) as caught:
        check_decision_table(section, SOURCE)
    return caught.value


def test_complete_table_passes() -> None:
    check_decision_table(table(["a", "b"], [(["a"], "red"), (["b"], "yellow"), ([], "green")]),
                         SOURCE)


def test_default_bundle_table_passes() -> None:
    document = json.loads(DEFAULT_BUNDLE.read_text("utf-8"))

    check_decision_table(document["self_check"], SOURCE)


def test_gap_is_rejected_with_answers_named() -> None:
    error = check_error(table(["fever", "contact"], [(["fever"], "red"), (["contact"], "orange")]))

    assert error.source == SOURCE
    assert error.location == "$.self_check.rules"
    assert error.problem.startswith("gap")
    assert error.value == "all answers no"
    assert error.expected is not None
    assert "empty any_yes" in error.expected


@pytest.mark.parametrize(("rules", "unreachable"), [
    pytest.param([(["a", "b"], "red"), (["a"], "orange"), ([], "green")], 1,
                 id="covered-by-wider-row"),
    pytest.param([(["a"], "red"), (["b"], "orange"), (["a", "b"], "yellow"), ([], "green")], 2,
                 id="covered-by-two-rows"),
    pytest.param([([], "green"), (["a"], "red")], 1, id="after-catch-all"),
    pytest.param([(["a"], "red"), ([], "green"), ([], "green")], 2, id="second-catch-all"),
])
def test_unreachable_row_is_rejected(rules: list[tuple[list[str], str]], unreachable: int) -> None:
    error = check_error(table(["a", "b"], rules))

    assert error.location == f"$.self_check.rules[{unreachable}]"
    assert error.problem.startswith("unreachable rule")
    assert error.value == rules[unreachable][0]


def test_unknown_question_is_rejected() -> None:
    error = check_error(table(["fever"], [(["fever", "cough"], "red"), ([], "green")]))

    assert error.location == "$.self_check.rules[0].any_yes[1]"
    assert error.value == "cough"
    assert error.expected == "the id of a question"


def test_duplicate_question_is_rejected() -> None:
    error = check_error(table(["fever", "fever"], [(["fever"], "red"), ([], "green")]))

    assert error.location == "$.self_check.questions"
    assert error.problem == "duplicate question id"


def test_largest_table_is_checked() -> None:
    # Twelve questions, the schema maximum, give 4096 combinations to try.
    questions = [f"q{index}" for index in range(12)]
    rules = [([qid], "yellow") for qid in questions] + [([], "green")]

    check_decision_table(table(questions, rules), SOURCE)


def test_first_matching_rule() -> None:
    rules = table(["a", "b"], [(["a"], "red"), (["b"], "yellow")])["rules"]

    assert first_matching_rule(rules, frozenset({"a", "b"})) == 0
    assert first_matching_rule(rules, frozenset({"b"})) == 1
    assert first_matching_rule(rules, frozenset()) is None


def test_evaluate_table_with_gap_raises() -> None:
    self_check = SelfCheck(questions=(SelfCheckQuestion("a", {"en": "a"}),),
                           rules=(SelfCheckRule(("a",), RiskColour.RED),))

    with pytest.raises(ValueError, match="no self-check rule"):
        evaluate_self_check(self_check, frozenset())


# The shipped default bundle gives the four colours.

def default_self_check() -> SelfCheck:
    self_check = load_bundle(DEFAULT_BUNDLE).self_check
    assert self_check is not None
    return self_check


@pytest.mark.parametrize(("yes", "colour"), [
    (set(), RiskColour.GREEN),
    ({"fever"}, RiskColour.RED),
    ({"close-contact"}, RiskColour.RED),
    ({"outbreak-area-stay"}, RiskColour.ORANGE),
    ({"case-in-compound"}, RiskColour.ORANGE),
    ({"high-risk-arrival"}, RiskColour.YELLOW),
    ({"fever-medicine"}, RiskColour.YELLOW),
    ({"fever-medicine", "fever"}, RiskColour.RED),
    ({"high-risk-arrival", "case-in-compound"}, RiskColour.ORANGE),
    ({"high-risk-arrival", "fever-medicine"}, RiskColour.YELLOW),
])
def test_default_bundle_self_check_colours(yes: set[str], colour: RiskColour) -> None:
    assert evaluate_self_check(default_self_check(), frozenset(yes)) is colour


def test_default_self_check_gives_highest_colour() -> None:
    # Each question raises the risk to its own colour. The outcome is the
    # highest colour among the questions answered yes, or green when none is.
    question_colour = {
        "fever": RiskColour.RED, "close-contact": RiskColour.RED,
        "outbreak-area-stay": RiskColour.ORANGE, "case-in-compound": RiskColour.ORANGE,
        "high-risk-arrival": RiskColour.YELLOW, "fever-medicine": RiskColour.YELLOW,
    }
    order = list(RiskColour)
    self_check = default_self_check()
    assert {question.id for question in self_check.questions} == set(question_colour)

    for answers in itertools.product((False, True), repeat=len(question_colour)):
        yes = frozenset(qid for qid, answer in zip(question_colour, answers, strict=True)
                        if answer)
        expected = max((question_colour[qid] for qid in yes), key=order.index,
                       default=RiskColour.GREEN)
        assert evaluate_self_check(self_check, yes) is expected, sorted(yes)
