"""Babel extractor for translatable strings in Kivy kv files.

kv files call the translator's ``_`` method with one string literal, for
example ``text: app.tr._`` followed by the literal in brackets. Babel's Python
extractor cannot read kv syntax, so this scans each line for calls to ``_``
with a single string literal. The mapping in ``locales/babel.cfg`` wires it in.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Collection, Iterator, Mapping
from typing import IO, Any

_CALL = re.compile(r"""(?<![\w.])(?:[\w.]+\.)?_\(\s*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')\s*\)""")


def extract_kv(fileobj: IO[bytes], keywords: Collection[str], comment_tags: Collection[str],
               options: Mapping[str, Any]) -> Iterator[tuple[int, str, str, list[str]]]:
    """Yield ``(line number, function, message, comments)`` for each call of ``_``."""
    encoding = options.get("encoding", "utf-8")
    for number, raw in enumerate(fileobj, start=1):
        line = raw.decode(encoding)
        for match in _CALL.finditer(line):
            yield number, "_", ast.literal_eval(match.group(1)), []
