"""Tests for kiosk.i18n.fonts and the shipped font files: coverage of every text the kiosk shows."""

from __future__ import annotations

import json
import os
import random
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path

import arabic_reshaper
import pytest
from babel.messages.pofile import read_po
from bidi.algorithm import get_display
from fontTools.pens.recordingPen import RecordingPen
from fontTools.ttLib import TTFont

from kiosk.content.completeness import text_fields
from kiosk.i18n.fontbuild import FontBuildError, license_text
from kiosk.i18n.fonts import (
    FONT_DIR,
    FONT_FILES,
    FontFileError,
    UnsupportedLanguageError,
    assets_dir,
    font_for,
    font_language,
    missing_characters,
    needs_glyph,
)
from kiosk.i18n.languages import KIOSK_LANGUAGES, endonym

#: Each language's name in itself, as the language bar shows it.
ENDONYMS = {
    "zh_Hans": "简体中文",
    "en": "English",
    "zh_Hant": "繁體中文",
    "ja": "日本語",
    "ko": "한국어",
    "ru": "Русский",
    "ar": "العربية",
}

#: Code point ranges every file of a language must cover, because admins
#: publish arbitrary text in that language. The ranges are inclusive.
PRINTABLE_ASCII = [(0x20, 0x7E)]
COMMON_PUNCTUATION = [(0x2013, 0x2014), (0x2018, 0x2019), (0x201C, 0x201D), (0x2026, 0x2026),
                      (0x00AB, 0x00AB), (0x00BB, 0x00BB), (0x00B7, 0x00B7)]
CYRILLIC_RUSSIAN = [(0x0410, 0x044F), (0x0401, 0x0401), (0x0451, 0x0451), (0x2116, 0x2116)]
CJK_COMMON = [
    (0x4E00, 0x9FA5),  # CJK Unified Ideographs up to Unicode 1.1 (GB 2312, Big5, JIS, KS X 1001)
    (0x3000, 0x3003), (0x3008, 0x3011),  # ideographic space, comma, full stop, brackets
    (0x3041, 0x3096), (0x30A1, 0x30FA), (0x30FC, 0x30FC),  # hiragana, katakana, prolonged mark
    (0xAC00, 0xD7A3),  # all Hangul syllables
    (0xFF01, 0xFF5E),  # fullwidth ASCII forms
]
ARABIC = [(0x0621, 0x063A), (0x0641, 0x0652), (0x0660, 0x0669), (0x060C, 0x060C), (0x061F, 0x061F),
          (0xFE80, 0xFEFC)]  # Arabic letters, harakat, Arabic-Indic digits, presentation forms B

REQUIRED_RANGES = {
    "zh_Hans": PRINTABLE_ASCII + COMMON_PUNCTUATION + CYRILLIC_RUSSIAN + CJK_COMMON,
    "en": PRINTABLE_ASCII + COMMON_PUNCTUATION + CYRILLIC_RUSSIAN,
    "zh_Hant": PRINTABLE_ASCII + COMMON_PUNCTUATION + CYRILLIC_RUSSIAN + CJK_COMMON,
    "ja": PRINTABLE_ASCII + COMMON_PUNCTUATION + CYRILLIC_RUSSIAN + CJK_COMMON,
    "ko": PRINTABLE_ASCII + COMMON_PUNCTUATION + CYRILLIC_RUSSIAN + CJK_COMMON,
    "ru": PRINTABLE_ASCII + COMMON_PUNCTUATION + CYRILLIC_RUSSIAN,
    "ar": PRINTABLE_ASCII + COMMON_PUNCTUATION + ARABIC,
}

#: Limit on the whole font folder, which ships in the repository and on every kiosk.
#: The CJK faces carry inlined CFF subroutines, which cost 7 MB on disk and
#: save Kivy about 1.4 MB of memory for every font size it opens.
MAX_FONT_DIR_BYTES = 82_000_000

WEIGHTS = [False, True]


def weight_name(bold: bool) -> str:
    return "bold" if bold else "regular"


def rendered_forms(text: str, language: str) -> list[tuple[str, str]]:
    """Return ``text`` as stored and, for Arabic, line by line as the screen draws it.

    Arabic is reshaped into presentation forms and reordered before Kivy draws
    it, so the font needs both the logical letters that reshaping keeps (such
    as harakat) and the presentation forms it produces. Each item pairs a
    form's description with its text.
    """
    if language != "ar":
        return [("as stored", text)]
    drawn = "\n".join(get_display(arabic_reshaper.reshape(line), base_dir="R")
                      for line in text.split("\n"))
    return [("as stored", text), ("reshaped", drawn)]


def describe(characters: Iterable[str]) -> str:
    return ", ".join(f"U+{ord(char):04X} {char!r}" for char in sorted(characters))


def assert_covered(texts: Iterable[tuple[str, str]], language: str, source: str) -> None:
    """Assert that both weights of ``language``'s font draw every character of ``texts``.

    ``texts`` pairs a label for the message (a msgid or JSON path) with its text.
    """
    for bold in WEIGHTS:
        font = font_for(language, bold=bold)
        problems = []
        for where, text in texts:
            for form, rendered in rendered_forms(text, language):
                missing = missing_characters(rendered, font)
                if missing:
                    problems.append(f"{where} ({form}): {describe(missing)}")
        assert not problems, (
            f"{font.name} ({language}, {weight_name(bold)}) lacks characters of {source}:\n"
            + "\n".join(problems[:20]))


def catalog_texts(path: Path) -> Iterator[tuple[str, str]]:
    """Yield every string a compiled catalog can show: msgstr, or msgid where gettext falls back."""
    with path.open("rb") as stream:
        catalog = read_po(stream)
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        label = ids[0]
        translated = [string for string in strings if string]
        for string in translated:
            yield label, string
        if message.fuzzy or len(translated) < len(strings) or not translated:
            # Compiled catalogs leave out fuzzy and empty entries, so the msgid is shown.
            for msgid in ids:
                yield label, msgid


def glyph_outline(font_path: Path, character: str) -> tuple[str, str]:
    """Return the glyph name and the drawing commands of ``character`` in the font."""
    with TTFont(str(font_path), lazy=True) as font:
        glyph_name = font.getBestCmap()[ord(character)]
        pen = RecordingPen()
        font.getGlyphSet()[glyph_name].draw(pen)
    return glyph_name, repr(pen.value)


# The shipped files


@pytest.mark.parametrize("bold", WEIGHTS, ids=weight_name)
@pytest.mark.parametrize("language", KIOSK_LANGUAGES)
def test_font_file_exists(language: str, bold: bool) -> None:
    path = font_for(language, bold=bold)
    assert path.parent == FONT_DIR
    assert path.stat().st_size > 100_000


@pytest.mark.parametrize("bold", WEIGHTS, ids=weight_name)
@pytest.mark.parametrize("language", KIOSK_LANGUAGES)
def test_font_covers_required_ranges(language: str, bold: bool) -> None:
    text = "".join(chr(code) for first, last in REQUIRED_RANGES[language]
                   for code in range(first, last + 1))
    missing = missing_characters(text, font_for(language, bold=bold))
    assert not missing, (
        f"{language} {weight_name(bold)} lacks {len(missing)}: {describe(missing)[:400]}")


def test_font_dir_fits_size_limit() -> None:
    total = sum(path.stat().st_size for path in FONT_DIR.iterdir() if path.is_file())
    assert total < MAX_FONT_DIR_BYTES, f"{FONT_DIR} holds {total:,} bytes"


def test_font_readme_lists_every_file_size() -> None:
    readme = (FONT_DIR / "README.md").read_text(encoding="utf-8")
    for name in sorted({name for pair in FONT_FILES.values() for name in pair}):
        size = (FONT_DIR / name).stat().st_size
        assert f"| {name} |" in readme, f"README.md does not list {name}"
        assert f"| {size:,} |" in readme, f"README.md does not give the size {size:,} of {name}"


def test_font_license_ships_with_fonts() -> None:
    text = (FONT_DIR / "OFL.txt").read_text(encoding="utf-8")
    assert "SIL OPEN FONT LICENSE Version 1.1" in text
    assert "Adobe" in text
    assert "Google" in text


# Regional CJK forms


@pytest.mark.parametrize("bold", WEIGHTS, ids=weight_name)
def test_regional_glyph_follows_language(bold: bool) -> None:
    # 骨 has different default glyphs in the Chinese (PRC), Chinese (Taiwan) and
    # Japanese faces, and 述 in all four regional faces.
    for character, languages in (("骨", ["zh_Hans", "zh_Hant", "ja"]),
                                 ("述", ["zh_Hans", "zh_Hant", "ja", "ko"])):
        glyphs = {language: glyph_outline(font_for(language, bold=bold), character)
                  for language in languages}
        names = {language: name for language, (name, _) in glyphs.items()}
        outlines = {outline for _, outline in glyphs.values()}
        assert len(set(names.values())) == len(languages), f"{character}: {names}"
        assert len(outlines) == len(languages), f"{character}: two languages share an outline"


def test_shared_glyph_has_same_outline() -> None:
    # The comparison above would pass for any two faces if outlines never
    # compared equal, so check a glyph that all regional faces share.
    outlines = {glyph_outline(font_for(language), "A")[1]
                for language in ("zh_Hans", "zh_Hant", "ja", "ko")}
    assert len(outlines) == 1


# Texts the kiosk shows


@pytest.mark.parametrize("language", KIOSK_LANGUAGES)
def test_endonym_is_covered(language: str) -> None:
    assert endonym(language) == ENDONYMS[language]
    assert_covered([("endonym", ENDONYMS[language])], language, "the language bar")


@pytest.mark.parametrize("language", KIOSK_LANGUAGES)
def test_catalog_text_is_covered(language: str, repo_root: Path) -> None:
    path = repo_root / "locales" / language / "LC_MESSAGES" / "kiosk.po"
    assert path.is_file(), f"catalog missing: {path}"
    texts = list(catalog_texts(path))
    assert texts, f"{path} has no messages"
    assert_covered(texts, language, str(path))


@pytest.mark.parametrize("language", KIOSK_LANGUAGES)
def test_bundle_text_is_covered(language: str, default_bundle_path: Path) -> None:
    assert default_bundle_path.is_file(), f"default bundle missing: {default_bundle_path}"
    document = json.loads(default_bundle_path.read_text(encoding="utf-8"))
    texts = [(path, text[language]) for path, text in text_fields(document)
             if text.get(language)]
    assert texts, f"{default_bundle_path} has no text in {language}"
    # Hotline numbers are shown as they are, in every language's font.
    texts += [(f"hotline {hotline['id']}", hotline["number"])
              for hotline in document.get("hotlines", [])]
    assert_covered(texts, language, str(default_bundle_path))


def test_arabic_font_covers_mixed_text() -> None:
    text = "اتصل بالخط الساخن 12320 أو زُر https://example.org/ar?q=1 (٢٤ ساعة) «لا»"
    assert_covered([("sample", text)], "ar", "mixed Arabic and Latin text")


# missing_characters


def test_missing_characters_finds_uncovered() -> None:
    assert missing_characters("Hotline 热线", font_for("en")) == {"热", "线"}


@pytest.mark.parametrize("language", KIOSK_LANGUAGES)
def test_missing_characters_ignores_invisible(language: str) -> None:
    spaces = "a b\n\u00a0\u2003\u3000"
    controls = "\u200b\u200c\u200d\u200e\u200f\u2066\u2069\u202b\u061c\ufeff\ufe0f"
    text = spaces + controls
    assert missing_characters(text, font_for(language)) == set()


@pytest.mark.parametrize("character", ["\t", "\r", "\x07", "\x1b", "\u2028", "\u1680", "\u0600"])
def test_missing_characters_reports_drawn(character: str) -> None:
    # Kivy 2.3.1 draws each of these as a .notdef box when the font lacks it.
    assert needs_glyph(character)
    assert missing_characters(character, font_for("ja")) == {character}


def test_missing_characters_rereads_rebuilt_font(tmp_path: Path) -> None:
    font = tmp_path / "font.ttf"
    shutil.copyfile(font_for("en"), font)
    assert missing_characters("ب", font) == {"ب"}
    shutil.copyfile(font_for("ar"), font)
    assert missing_characters("ب", font) == set()


def test_missing_characters_reads_collection(tmp_path: Path) -> None:
    collection = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
    if not collection.is_file():
        pytest.skip(f"{collection} not installed (Debian package fonts-noto-cjk)")
    assert missing_characters("骨가", collection) == set()


@pytest.mark.parametrize("content", [
    b"",
    b"not a font at all",
    b"\x00\x01\x00\x00\x00\x0c\x00\x80\x00\x03\x00\x40",
    b"ttcf\x00\x01\x00\x00\x00\x00\x00\x01\xff\xff\xff\xff",
], ids=["empty", "text", "header-only", "collection-offset-past-end"])
def test_missing_characters_rejects_malformed_font(tmp_path: Path, content: bytes) -> None:
    font = tmp_path / "bad.ttf"
    font.write_bytes(content)
    with pytest.raises(FontFileError, match=r"bad\.ttf"):
        missing_characters("a", font)


def test_missing_characters_rejects_truncated_font(tmp_path: Path) -> None:
    font = tmp_path / "truncated.ttf"
    font.write_bytes(font_for("en").read_bytes()[:2000])
    with pytest.raises(FontFileError, match=r"truncated\.ttf"):
        missing_characters("a", font)


@pytest.mark.parametrize("language", ["en", "ar"])
def test_missing_characters_survives_damaged_cmap(tmp_path: Path, language: str) -> None:
    # Random bytes written over the cmap table, and truncation inside it, must
    # return a set of characters or raise FontFileError, never another exception.
    source = font_for(language).read_bytes()
    with TTFont(str(font_for(language)), lazy=True) as font:
        entry = font.reader.tables["cmap"]
        cmap_offset, cmap_length = entry.offset, entry.length
    damaged = tmp_path / "damaged.ttf"
    outcomes = {"returned": 0, "rejected": 0}
    for seed in range(300):
        rng = random.Random(seed)  # noqa: S311 - reproducible damage, not security
        data = bytearray(source)
        for _ in range(rng.randrange(1, 20)):
            data[cmap_offset + rng.randrange(min(cmap_length, 4000))] = rng.randrange(256)
        if seed % 3 == 0:
            data = data[:cmap_offset + rng.randrange(cmap_length)]
        damaged.write_bytes(bytes(data))
        os.utime(damaged, ns=(seed, seed))  # a new cache key for every variant
        try:
            missing_characters("a", damaged)
        except FontFileError:
            outcomes["rejected"] += 1
        else:
            outcomes["returned"] += 1
    assert outcomes["rejected"] > 0
    assert outcomes["returned"] + outcomes["rejected"] == 300


def test_missing_characters_rejects_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FontFileError, match=r"absent\.ttf"):
        missing_characters("a", tmp_path / "absent.ttf")


# font_for


@pytest.mark.parametrize(("language", "expected"), [
    ("en_GB", "en"), ("zh_Hant_TW", "zh_Hant"), ("zh_Hans_CN", "zh_Hans"), ("ar_EG", "ar"),
    ("ru", "ru"),
])
def test_font_language_uses_cldr_parent(language: str, expected: str) -> None:
    assert font_language(language) == expected


@pytest.mark.parametrize("language", ["fr", "zh", "", "../etc/passwd", "xx_Hant"])
def test_font_for_rejects_unknown_language(language: str) -> None:
    with pytest.raises(UnsupportedLanguageError, match="no kiosk font"):
        font_for(language)


def test_font_for_reports_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FontFileError, match="fontbuild"):
        font_for("ja", font_dir=tmp_path)


def test_assets_dir_follows_environment(tmp_path: Path, repo_root: Path) -> None:
    assert assets_dir({"KIOSK_ASSETS": str(tmp_path)}) == tmp_path
    assert assets_dir({}) == repo_root / "assets"


# The build's license parser


def test_license_text_reads_debian_copyright(tmp_path: Path) -> None:
    copyright_file = tmp_path / "copyright"
    copyright_file.write_text(
        "Files: *\nCopyright: 2020 Someone\nLicense: OFL-1.1\n\n"
        "License: OFL-1.1\n PREAMBLE\n .\n The goals of the Open Font License\n\n"
        "License: GPL-3+\n This program is free software\n",
        encoding="utf-8")
    assert license_text(copyright_file) == "PREAMBLE\n\nThe goals of the Open Font License\n"


@pytest.mark.parametrize("content", [
    "", "License: GPL-3+\n This program is free software\n", "License: OFL-1.1\n",
    "\x00\xff garbage",
], ids=["empty", "other-license", "no-body", "binary"])
def test_license_text_rejects_file_without_ofl(tmp_path: Path, content: str) -> None:
    copyright_file = tmp_path / "copyright"
    copyright_file.write_text(content, encoding="utf-8")
    with pytest.raises(FontBuildError, match="no SIL Open Font License"):
        license_text(copyright_file)


def test_license_text_rejects_non_utf8(tmp_path: Path) -> None:
    copyright_file = tmp_path / "copyright"
    copyright_file.write_bytes(b"License: OFL-1.1\n \xff\xfe PREAMBLE\n")
    with pytest.raises(FontBuildError, match="not UTF-8"):
        license_text(copyright_file)


def test_license_text_reports_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FontBuildError, match="failed to read"):
        license_text(tmp_path / "absent")
