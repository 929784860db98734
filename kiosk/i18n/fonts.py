"""The font file for each kiosk language, and which characters of a text a font cannot draw.

Kivy's SDL2 text provider opens face 0 of one font file per label and has no
per-glyph fallback, so a character outside that file's cmap shows as a
.notdef box. Each language therefore gets one file that covers its own script,
Latin, digits and punctuation, with the regional CJK glyph forms of that
language (Simplified Chinese, Traditional Chinese for Taiwan, Japanese, Korean).
``python -m kiosk.i18n.fontbuild`` makes the files.
"""

from __future__ import annotations

import logging
import os
import re
import struct
import unicodedata
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

from kiosk.i18n.languages import KIOSK_LANGUAGES, parent_language

logger = logging.getLogger(__name__)

#: Environment variable that points at the assets folder in place of
#: ``assets/`` beside the ``kiosk`` package, for installs outside a checkout.
ASSETS_ENV = "KIOSK_ASSETS"

#: Regular and bold file names per kiosk language.
FONT_FILES: Mapping[str, tuple[str, str]] = {
    "zh_Hans": ("NotoSansCJKsc-Regular.otf", "NotoSansCJKsc-Bold.otf"),
    "en": ("NotoSans-Regular.ttf", "NotoSans-Bold.ttf"),
    "zh_Hant": ("NotoSansCJKtc-Regular.otf", "NotoSansCJKtc-Bold.otf"),
    "ja": ("NotoSansCJKjp-Regular.otf", "NotoSansCJKjp-Bold.otf"),
    "ko": ("NotoSansCJKkr-Regular.otf", "NotoSansCJKkr-Bold.otf"),
    "ru": ("NotoSans-Regular.ttf", "NotoSans-Bold.ttf"),
    "ar": ("KioskSansArabic-Regular.ttf", "KioskSansArabic-Bold.ttf"),
}

#: Default-ignorable code points outside category Cf that Kivy 2.3.1 draws as
#: nothing even when the font lacks them: the combining grapheme joiner and the
#: variation selectors. Its SDL2_ttf 2.20 shapes text with a HarfBuzz that
#: predates U+180F, which therefore shows as a box and is left out.
_INVISIBLE_MARKS = frozenset(
    [0x034F, 0x180B, 0x180C, 0x180D, *range(0xFE00, 0xFE10), *range(0xE0100, 0xE01F0)]
)

#: Format characters that are drawn: the prepended concatenation marks such as
#: U+0600 ARABIC NUMBER SIGN, which span the digits that follow them.
_VISIBLE_FORMAT_CHARACTERS = frozenset(
    [*range(0x0600, 0x0606), 0x06DD, 0x070F, 0x0890, 0x0891, 0x08E2, 0x110BD, 0x110CD]
)

#: The one space separator (category Zs) with a visible glyph.
_OGHAM_SPACE_MARK = 0x1680


class FontError(Exception):
    """A font that cannot be found or read, or a language that has no font."""


class UnsupportedLanguageError(FontError, LookupError):
    """A language that is neither a kiosk language nor a CLDR child of one."""


class FontFileError(FontError, OSError):
    """A font file that is missing or cannot be parsed."""


def assets_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Return the assets folder: ``$KIOSK_ASSETS``, or ``assets/`` beside the ``kiosk`` package.

    The default is right only in a source checkout or an editable install,
    where ``assets/`` is at the repository top level next to ``kiosk/``.
    """
    environ = os.environ if environ is None else environ
    override = environ.get(ASSETS_ENV)
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[2] / "assets"


#: Folder of the font files, resolved once when this module is imported.
FONT_DIR: Path = assets_dir() / "fonts"


def font_language(language: str) -> str:
    """Return the kiosk language whose font serves ``language``.

    A CLDR child of a kiosk language uses its parent's font, so ``en_GB``
    uses the ``en`` font and ``zh_Hant_TW`` the ``zh_Hant`` one.
    Raises UnsupportedLanguageError for any other language.
    """
    current: str | None = language
    while current is not None:
        if current in FONT_FILES:
            return current
        current = parent_language(current)
    raise UnsupportedLanguageError(
        f"no kiosk font for language {language!r}; "
        f"expected one of {', '.join(KIOSK_LANGUAGES)} or a CLDR child of one")


@lru_cache(maxsize=64)
def font_for(language: str, bold: bool = False, font_dir: Path = FONT_DIR) -> Path:
    """Return the font file for ``language`` in ``font_dir``.

    Text shown as a fallback from another language needs the font of the
    language it is written in, because the files differ in script coverage
    (see ``font_for_text``). Raises UnsupportedLanguageError for an unknown
    language and FontFileError when the file is missing. Results are cached,
    so the file is looked up on disk once.
    """
    regular, bold_name = FONT_FILES[font_language(language)]
    path = font_dir / (bold_name if bold else regular)
    if not path.is_file():
        raise FontFileError(
            f"font file for {language} not found: {path}; "
            "build it with 'python -m kiosk.i18n.fontbuild --out assets/fonts'")
    return path


#: Languages whose font draws Chinese characters, kana and Hangul.
_CJK_LANGUAGES = frozenset({"zh_Hans", "zh_Hant", "ja", "ko"})
_ARABIC = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")
_CJK = re.compile("[\u1100-\u11ff\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef"
                  "\U00020000-\U0003134f]")


def text_language(text: str, language: str) -> str:
    """Return the kiosk language whose font and direction suit ``text`` on a ``language`` screen.

    Content may fall back to another language (a notice only in Chinese on the
    Russian screen) or mix scripts (a Chinese place name in English text), and
    the English and Russian font has no Chinese glyphs. Arabic letters need the
    Arabic font; Chinese characters, kana and Hangul need a CJK face, the
    screen's own when it has one. Anything else keeps the screen's language.
    """
    if language != "ar" and _ARABIC.search(text):
        return "ar"
    if font_language(language) not in _CJK_LANGUAGES and _CJK.search(text):
        return "zh_Hans"
    return language


def needs_glyph(character: str) -> bool:
    """Return False for a character that Kivy draws as blank or nothing when the font lacks it.

    Checked by rendering with Kivy 2.3.1 under Xvfb. Kivy breaks lines at
    ``\\n`` itself. HarfBuzz draws a missing space separator (U+0020, U+00A0,
    U+2000 to U+200A, U+3000 and the like) as blank space. It also hides format
    characters such as zero-width and bidi controls. A tab, a carriage return,
    U+2028, U+2029 and other control characters draw the .notdef box unless the
    font maps them, so they need a glyph.
    """
    if character == "\n":
        return False
    code_point = ord(character)
    category = unicodedata.category(character)
    if category == "Zs":
        return code_point == _OGHAM_SPACE_MARK
    if category == "Cf":
        return code_point in _VISIBLE_FORMAT_CHARACTERS
    return code_point not in _INVISIBLE_MARKS


def missing_characters(text: str, font_path: Path) -> set[str]:
    """Return the characters of ``text`` that need a glyph and are not in the font's cmap.

    Reads face 0 of the file, as Kivy does. Raises FontFileError when the file
    cannot be read or parsed.
    """
    covered = font_code_points(font_path)
    return {char for char in set(text) if needs_glyph(char) and ord(char) not in covered}


def font_code_points(font_path: Path) -> frozenset[int]:
    """Return the code points in the cmap of face 0 of ``font_path``, cached per file version."""
    try:
        status = font_path.stat()
    except OSError as error:
        raise FontFileError(f"failed to read font file {font_path}: {error.strerror}") from error
    return _read_code_points(str(font_path.resolve()), status.st_mtime_ns, status.st_size)


@lru_cache(maxsize=32)
def _read_code_points(path: str, mtime_ns: int, size: int) -> frozenset[int]:
    # The modification time and size are part of the cache key, so a rebuilt
    # file is read again.
    # fontTools is imported here, not at module level: the kiosk's UI imports
    # this module at start-up but only tests and tools read cmaps.
    from fontTools.ttLib import TTFont, TTLibError

    logger.debug("Reading the cmap of %s (%s bytes)", path, size)
    try:
        with TTFont(path, fontNumber=0, lazy=True) as font:
            cmap = font.getBestCmap()
    except (OSError, TTLibError, AssertionError, AttributeError, KeyError, IndexError,
            ValueError, struct.error) as error:
        # fontTools reports truncated or corrupt tables with assorted exceptions.
        # These are the ones seen when reading cmaps of randomly damaged files
        # with fontTools 4.40 to 4.68.
        raise FontFileError(f"failed to parse font file {path}: {error}") from error
    if cmap is None:
        raise FontFileError(f"font file {path} has no Unicode cmap subtable")
    return frozenset(cmap)
