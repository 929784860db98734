"""Strict JSON decoding of bundle bytes: size and depth limits, UTF-8, no duplicate keys."""

from __future__ import annotations

import json
import math
import re
import sys
from collections.abc import Iterator
from typing import Any

from kiosk.content.errors import ContentError

#: Largest bundle file accepted, in bytes. Repeating the first notice of the
#: default bundle 10,000 times, with title, body and issuer in seven languages,
#: gives 33 MB of JSON.
MAX_BUNDLE_BYTES = 64 * 1024 * 1024
#: Deepest JSON nesting accepted; the schema itself needs 6 levels.
MAX_JSON_DEPTH = 32

# The bytes that the depth check keeps: quotes and brackets. UTF-8 never uses
# an ASCII byte inside a multi-byte character, so the check can scan bytes.
_NOT_STRUCTURE = bytes(set(range(256)) - set(b'"[]{}'))
_NESTING_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}
# UTF-16 surrogate code points: json.loads turns an unpaired "\ud800" escape into
# one, and such a string cannot be encoded as UTF-8 again.
_SURROGATE = re.compile("[\ud800-\udfff]")
# A \u escape of a surrogate. Python's UTF-8 decoder rejects encoded
# surrogates, so only such an escape can put one into a decoded string.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


class _NumberOutOfRange(ValueError):
    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


class _DuplicateKeys(dict[str, Any]):
    """An object in which a key appeared more than once; ``key`` is the first repeat."""

    def __init__(self, pairs: list[tuple[str, Any]], key: str) -> None:
        super().__init__(pairs)
        self.key = key


def decode_document(data: bytes, source: str) -> Any:
    """Decode bundle bytes as strict JSON.

    Rejects with ContentError: more than ``MAX_BUNDLE_BYTES``, empty input, text
    that is not UTF-8, nesting deeper than ``MAX_JSON_DEPTH``, invalid JSON,
    NaN and infinite numbers, integers too long to convert, a key repeated in
    one object, and unpaired UTF-16 surrogates in strings.
    """
    if len(data) > MAX_BUNDLE_BYTES:
        raise ContentError(source, "$", "file too large", len(data),
                           f"at most {MAX_BUNDLE_BYTES} bytes")
    if not data.strip():
        raise ContentError(source, "$", "file is empty", expected="a JSON object")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ContentError(source, "$", f"not UTF-8 at byte {error.start}",
                           data[error.start:error.start + 4], "UTF-8 encoded JSON") from error
    _check_depth(data, source)
    duplicates: list[str] = []

    def mark_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        # Raising here would lose where the object is, so mark it and let
        # _check_decoded report the JSON path once decoding is done.
        members = dict(pairs)
        if len(members) == len(pairs):
            return members
        repeat = _first_repeated_key(pairs)
        duplicates.append(repeat)
        return _DuplicateKeys(pairs, repeat)

    try:
        document = json.loads(text, object_pairs_hook=mark_duplicate_keys,
                              parse_constant=_reject_constant, parse_float=_finite_float)
    except json.JSONDecodeError as error:
        raise ContentError(source, f"line {error.lineno} column {error.colno}",
                           f"invalid JSON: {error.msg}") from error
    except _NumberOutOfRange as error:
        raise ContentError(source, "$", "number out of range", error.text[:40],
                           "a finite JSON number") from error
    except ValueError as error:
        # int() refuses integers longer than sys.get_int_max_str_digits(), 4300 by default.
        raise ContentError(source, "$", "integer has too many digits",
                           expected=f"at most {sys.get_int_max_str_digits()} digits") from error
    # Walking every value takes longer than json.loads itself, so walk only
    # when there is something to find.
    if duplicates or _SURROGATE_ESCAPE.search(text):
        _check_decoded(document, source)
    return document


def _first_repeated_key(pairs: list[tuple[str, Any]]) -> str:
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            return key
        seen.add(key)
    raise AssertionError("called for an object without a repeated key")


def _reject_constant(name: str) -> None:
    # Python's json module accepts NaN, Infinity and -Infinity, which JSON does not.
    raise _NumberOutOfRange(name)


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise _NumberOutOfRange(text)
    return number


def _check_depth(data: bytes, source: str) -> None:
    # json.loads recurses per nesting level, so a hostile file of a million
    # "[" would hit RecursionError deep in the parser. Count brackets first,
    # ignoring those inside strings. Escaped backslashes go first, then
    # escaped quotes, so that every quote left opens or closes a string.
    # That holds for valid JSON, and json.loads stops at the first invalid
    # byte, so the count is exact for every bracket that the parser reaches.
    # Splitting at the quotes puts the text outside strings at even indexes.
    # Deleting with bytes methods leaves the Python loop one step per bracket
    # instead of one per character.
    unescaped = data.replace(b"\\\\", b"").replace(b'\\"', b"")
    structure = unescaped.translate(None, delete=_NOT_STRUCTURE)
    brackets = b"".join(structure.split(b'"')[::2])
    depth = 0
    for step in map(_NESTING_STEP.__getitem__, brackets):
        depth += step
        if depth > MAX_JSON_DEPTH:
            raise ContentError(source, "$", "JSON nested too deeply", depth,
                               f"at most {MAX_JSON_DEPTH} levels")


def _check_decoded(document: Any, source: str) -> None:
    for path, value in _walk(document, "$"):
        if isinstance(value, _DuplicateKeys):
            raise ContentError(source, _member_path(path, value.key), "duplicate key in an object",
                               value.key, "each key once per object")
        if isinstance(value, str) and _SURROGATE.search(value):
            raise ContentError(source, path, "unpaired UTF-16 surrogate in a string",
                               value, "text that can be encoded as UTF-8")
        if isinstance(value, dict):
            for key in value:
                if _SURROGATE.search(key):
                    raise ContentError(source, path, "unpaired UTF-16 surrogate in a key", key,
                                       "text that can be encoded as UTF-8")


def _walk(value: Any, path: str) -> Iterator[tuple[str, Any]]:
    # Recursion is bounded by MAX_JSON_DEPTH, checked before decoding.
    yield path, value
    if isinstance(value, dict):
        for key, member in value.items():
            yield from _walk(member, _member_path(path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, f"{path}[{index}]")


def _member_path(path: str, key: str) -> str:
    # Keys that are plain identifiers use dot notation; others are quoted.
    if key.isidentifier():
        return f"{path}.{key}"
    return f"{path}[{json.dumps(key)}]"
