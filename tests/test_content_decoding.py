"""Tests for the nesting depth check of bundle decoding: escapes and brackets inside strings."""

from __future__ import annotations

import json

import pytest

from kiosk.content import ContentError
from kiosk.content.decoding import MAX_JSON_DEPTH, decode_document

SOURCE = "bundle.json"


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("text", [
    '"a\\\\"',
    '"a\\"b"',
    '"\\\\\\""',
    '"[[[[\\"]]]]"',
    '"\\u005b"',
])
def test_brackets_after_escapes_count_as_nesting(text: str) -> None:
    data = f'{{"a": {text}, "b": {nested(MAX_JSON_DEPTH)}}}'.encode()

    with pytest.raises(ContentError) as caught:
        decode_document(data, SOURCE)

    assert caught.value.problem == "JSON nested too deeply"
    assert caught.value.value == MAX_JSON_DEPTH + 1


@pytest.mark.parametrize("text", [
    '"' + "[" * 100 + '"',
    '"\\"' + "{" * 100 + '"',
    '"\\\\\\"' + "[" * 100 + '\\""',
])
def test_brackets_in_strings_with_escapes_are_not_nesting(text: str) -> None:
    data = f'{{"a": {text}, "b": {nested(MAX_JSON_DEPTH - 1)}}}'.encode()

    document = decode_document(data, SOURCE)

    assert document["a"] == json.loads(text)


def test_unclosed_string_hides_no_nesting_from_parser() -> None:
    data = b'{"a": "' + b"[" * 100_000

    with pytest.raises(ContentError) as caught:
        decode_document(data, SOURCE)

    assert "invalid JSON" in caught.value.problem


def test_duplicate_key_found_in_many_objects() -> None:
    members = ", ".join(f'{{"id": "n{index}"}}' for index in range(500))
    data = f'{{"items": [{members}, {{"id": "a", "id": "b"}}]}}'.encode()

    with pytest.raises(ContentError) as caught:
        decode_document(data, SOURCE)

    assert caught.value.location == "$.items[500].id"
    assert caught.value.problem == "duplicate key in an object"


def test_escaped_backslash_before_u_is_no_surrogate() -> None:
    data = b'{"a": "\\\\ud800"}'

    document = decode_document(data, SOURCE)

    assert document["a"] == "\\ud800"
