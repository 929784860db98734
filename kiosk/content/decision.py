"""The self-check decision table: evaluation and completeness checks."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

from kiosk.content.errors import ContentError
from kiosk.content.model import RiskColour, SelfCheck


def first_matching_rule(rules: Sequence[Mapping[str, Any]], yes: frozenset[str]) -> int | None:
    """Return the index of the first rule that matches the questions answered yes."""
    for index, rule in enumerate(rules):
        required = rule["any_yes"]
        if not required or yes.intersection(required):
            return index
    return None


def check_decision_table(section: Mapping[str, Any], source: str) -> None:
    """Reject a decision table with unknown questions, gaps or unreachable rows.

    Every combination of answers is tried (at most 2**12, the schema's limit on
    questions), so a gap is reported with the answers that match no row.
    """
    question_ids = [question["id"] for question in section["questions"]]
    if len(set(question_ids)) != len(question_ids):
        raise ContentError(source, "$.self_check.questions", "duplicate question id", question_ids,
                           "each question id once")
    rules = section["rules"]
    for index, rule in enumerate(rules):
        for position, question_id in enumerate(rule["any_yes"]):
            if question_id not in question_ids:
                raise ContentError(source, f"$.self_check.rules[{index}].any_yes[{position}]",
                                   "unknown question", question_id, "the id of a question")

    reached: set[int] = set()
    for answers in itertools.product((False, True), repeat=len(question_ids)):
        yes = frozenset(qid for qid, answer in zip(question_ids, answers, strict=True) if answer)
        matched = first_matching_rule(rules, yes)
        if matched is None:
            shown = sorted(yes) if yes else "all answers no"
            raise ContentError(source, "$.self_check.rules", "gap: these answers match no rule",
                               shown, "a final rule with an empty any_yes list")
        reached.add(matched)

    for index in range(len(rules)):
        if index not in reached:
            raise ContentError(source, f"$.self_check.rules[{index}]",
                               "unreachable rule: earlier rules match every answer it matches",
                               rules[index]["any_yes"], "a rule some answers reach")


def evaluate_self_check(self_check: SelfCheck, yes: frozenset[str]) -> RiskColour:
    """Return the risk colour for the questions answered yes."""
    for rule in self_check.rules:
        if not rule.any_yes or yes.intersection(rule.any_yes):
            return rule.colour
    # Validation rejects tables with gaps, so a loaded bundle never gets here.
    raise ValueError(f"no self-check rule matches answers {sorted(yes)}")
