"""Build the kiosk's per-language font files from Debian's Noto font packages.

Usage: ``python -m kiosk.i18n.fontbuild --out assets/fonts``

Sources are the Debian packages fonts-noto-cjk (the Noto Sans CJK collections)
and fonts-noto-core (Noto Sans and Noto Sans Arabic). The build writes:

- one OpenType/CFF file per regional Noto Sans CJK face (SC, TC, JP, KR) and
  weight. Each is subset to the glyphs reachable from that face's own cmap,
  so its default glyphs are the regional forms even with no shaping at all.
- Noto Sans, copied unchanged, for English and Russian.
- Kiosk Sans Arabic: Noto Sans Arabic merged with Noto Sans, because a label
  has one font and Arabic notices carry Latin digits, letters and URLs.
- ``OFL.txt`` with the fonts' copyright notices and the license, and
  ``README.md`` listing every file with its source and size.

Files are written with fixed timestamps, so the same sources and the same
fontTools version give byte-identical files.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import fontTools
from fontTools import subset
from fontTools.merge import Merger
from fontTools.ttLib import TTCollection, TTFont, TTLibError

from kiosk.i18n.fonts import FONT_FILES

logger = logging.getLogger(__name__)

WEIGHTS = ("Regular", "Bold")

#: Regional Noto Sans CJK faces, by the file-name stem they are written under.
#: The stem is also the face's PostScript name prefix inside the collection.
CJK_FACES = ("NotoSansCJKsc", "NotoSansCJKtc", "NotoSansCJKjp", "NotoSansCJKkr")

#: Family name of the merged Arabic and Latin font.
ARABIC_FAMILY = "Kiosk Sans Arabic"

#: Layout features removed from the CJK faces.
#: ``locl`` swaps in another region's glyph forms whenever the shaper is given
#: a language, so without it the cmap alone decides the regional form. The
#: other features serve vertical text or optional CJK spacing. HarfBuzz applies
#: them to horizontal text only on request, and Kivy 2.3.1 passes feature
#: requests (``font_features``) to its Pango text provider only.
DROPPED_CJK_FEATURES = frozenset(
    ["locl", "vert", "vrt2", "vkrn", "vpal", "valt", "vhal", "vchw", "halt", "palt", "chws"]
)

#: Vertical metrics tables, unused because Kivy lays text out horizontally only.
DROPPED_CJK_TABLES = ("vhea", "vmtx", "VORG")


class FontBuildError(Exception):
    """A source font that is missing or unusable, or an output that fails its coverage check."""


@dataclass(frozen=True)
class FontSources:
    """Locations of the Debian font packages' files."""

    cjk_dir: Path = Path("/usr/share/fonts/opentype/noto")
    noto_dir: Path = Path("/usr/share/fonts/truetype/noto")
    #: Debian copyright file of fonts-noto-cjk, the source of the OFL text.
    license_source: Path = Path("/usr/share/doc/fonts-noto-cjk/copyright")

    def cjk_collection(self, weight: str) -> Path:
        return self.cjk_dir / f"NotoSansCJK-{weight}.ttc"

    def noto_sans(self, weight: str) -> Path:
        return self.noto_dir / f"NotoSans-{weight}.ttf"

    def noto_sans_arabic(self, weight: str) -> Path:
        return self.noto_dir / f"NotoSansArabic-{weight}.ttf"


@dataclass(frozen=True)
class BuiltFont:
    """One output file, a sentence saying how it was made, and its sources' copyright notices."""

    path: Path
    origin: str
    notices: tuple[str, ...]


@contextmanager
def staged(output: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``output`` and move it onto ``output`` if the block succeeds.

    A failed or interrupted build therefore leaves the previous file in place.
    """
    staging = output.with_name(f".{output.name}.tmp")
    try:
        yield staging
        with staging.open("rb") as written:
            os.fsync(written.fileno())
        os.replace(staging, output)
    finally:
        staging.unlink(missing_ok=True)


def find_face(collection: TTCollection, postscript_name: str) -> TTFont:
    """Return the face of ``collection`` with ``postscript_name`` (name ID 6)."""
    names = []
    for face in collection.fonts:
        name = face["name"].getDebugName(6)
        if name == postscript_name:
            return face
        names.append(name)
    raise FontBuildError(
        f"face {postscript_name} not found in the collection, which contains "
        f"{', '.join(map(str, names))}")


def cjk_subset_options() -> subset.Options:
    """Return the subsetter options for a regional CJK face."""
    options = subset.Options()
    options.layout_features = [tag for tag in options.layout_features
                               if tag not in DROPPED_CJK_FEATURES]
    options.drop_tables = [*options.drop_tables, *DROPPED_CJK_TABLES]
    # CFF hints cost about 2 MB per face. Unhinted text looked clean in a
    # Kivy screenshot at 26 px, and the theme's smallest text is 28 design px.
    options.hinting = False
    # FreeType reads every subroutine of a CFF font into memory for each face
    # it opens, and Kivy opens one face per font size: with subroutines, one
    # regional face cost 1.7 MB of memory per size, without them 0.3 MB. The
    # file grows by about a tenth, as the glyphs' shared parts are inlined.
    options.desubroutinize = True
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.name_legacy = True
    # The .notdef box makes a missing character visible on screen.
    options.notdef_outline = True
    options.recalc_timestamp = False
    return options


def build_cjk_face(collection_path: Path, postscript_name: str, output: Path) -> tuple[str, ...]:
    """Extract one face of a Noto Sans CJK collection, subset to its own cmap.

    Returns the face's copyright notice.
    """
    try:
        collection = TTCollection(str(collection_path), recalcTimestamp=False)
    except (OSError, TTLibError) as error:
        raise FontBuildError(f"failed to read CJK collection {collection_path}: {error}") from error
    face = find_face(collection, postscript_name)
    notice = face["name"].getDebugName(0)
    cmap = face.getBestCmap()
    subsetter = subset.Subsetter(cjk_subset_options())
    subsetter.populate(unicodes=cmap.keys())
    subsetter.subset(face)
    with staged(output) as staging:
        face.save(str(staging))
        check_coverage(staging, set(cmap))
    logger.info("Wrote %s from face %s of %s", output, postscript_name, collection_path)
    return (notice,) if notice else ()


def strip_hinting(source: Path, output: Path) -> None:
    """Copy a TrueType font without its hinting instructions."""
    options = subset.Options()
    options.hinting = False
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.name_legacy = True
    options.notdef_outline = True
    options.glyph_names = True
    options.layout_features = ["*"]
    options.recalc_timestamp = False
    with TTFont(str(source), recalcTimestamp=False) as font:
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=font.getBestCmap().keys())
        subsetter.subset(font)
        font.save(str(output))


def build_arabic(arabic: Path, latin: Path, weight: str, output: Path) -> tuple[str, ...]:
    """Merge Noto Sans Arabic with Noto Sans into one file named Kiosk Sans Arabic.

    Noto Sans Arabic comes first, so it provides the glyphs for the code points
    both fonts map (space, digits, common punctuation). Hinting is removed
    from both inputs beforehand, because fontTools.merge keeps only the first
    font's TrueType programs (fpgm, prep, cvt) and strips the glyph
    instructions of the other fonts. A partly hinted result would render its
    two halves differently. Returns the copyright notices of both sources.
    """
    sources = [arabic, latin]
    for source in sources:
        if not source.is_file():
            raise FontBuildError(f"source font not found: {source}; install fonts-noto-core")
    with tempfile.TemporaryDirectory() as scratch:
        unhinted = [Path(scratch) / source.name for source in sources]
        for source, target in zip(sources, unhinted, strict=True):
            strip_hinting(source, target)
        merged = Merger().merge([str(path) for path in unhinted])

    with TTFont(str(arabic), lazy=True) as arabic_font, TTFont(str(latin), lazy=True) as latin_font:
        # The merger stamps the current time, so the sources' times replace it
        # to keep the output reproducible.
        merged["head"].created = arabic_font["head"].created
        merged["head"].modified = max(arabic_font["head"].modified, latin_font["head"].modified)
        found = (arabic_font["name"].getDebugName(0), latin_font["name"].getDebugName(0))
    notices = tuple(notice for notice in found if notice)
    rename_merged(merged, weight, notices)
    merged.recalcTimestamp = False

    expected: set[int] = set()
    for source in sources:
        with TTFont(str(source), lazy=True) as font:
            expected |= set(font.getBestCmap())
    with staged(output) as staging:
        merged.save(str(staging))
        merged.close()
        check_coverage(staging, expected)
    logger.info("Wrote %s from %s and %s", output, arabic, latin)
    return notices


def rename_merged(font: TTFont, weight: str, notices: Sequence[str]) -> None:
    """Give the merged font its own family name, so it is never mistaken for upstream Noto."""
    name_table = font["name"]
    postscript = f"{ARABIC_FAMILY.replace(' ', '')}-{weight}"
    version = name_table.getDebugName(5) or "Version 1.000"
    records = {
        0: " ".join(notices),
        1: ARABIC_FAMILY,
        2: weight,
        3: f"{postscript};{version}",
        4: f"{ARABIC_FAMILY} {weight}",
        6: postscript,
        10: "Noto Sans Arabic merged with Noto Sans, for Arabic text that contains Latin.",
    }
    for name_id in (*records, 16, 17, 21, 22):
        name_table.removeNames(nameID=name_id)
    for name_id, text in records.items():
        name_table.setName(text, name_id, 3, 1, 0x409)
        name_table.setName(text, name_id, 1, 0, 0)


def check_coverage(path: Path, expected: Iterable[int]) -> None:
    """Raise FontBuildError unless the cmap of ``path`` maps every code point in ``expected``."""
    with TTFont(str(path), lazy=True) as font:
        cmap = font.getBestCmap()
    lost = sorted(set(expected) - set(cmap))
    if lost:
        sample = ", ".join(f"U+{code:04X}" for code in lost[:10])
        raise FontBuildError(f"{path} lost {len(lost)} code points of its sources: {sample}")


def copy_font(source: Path, output: Path) -> tuple[str, ...]:
    """Copy a font file unchanged and return its copyright notice."""
    if not source.is_file():
        raise FontBuildError(f"source font not found: {source}; install fonts-noto-core")
    with staged(output) as staging:
        shutil.copyfile(source, staging)
    logger.info("Copied %s to %s", source, output)
    with TTFont(str(output), lazy=True) as font:
        notice = font["name"].getDebugName(0)
    return (notice,) if notice else ()


def build_all(sources: FontSources, out_dir: Path, jobs: int) -> list[BuiltFont]:
    """Build every file that ``FONT_FILES`` names into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    built: list[BuiltFont] = []

    for weight in WEIGHTS:
        if not sources.cjk_collection(weight).is_file():
            raise FontBuildError(
                f"CJK collection not found: {sources.cjk_collection(weight)}; "
                "install fonts-noto-cjk")

    # A CJK face takes about a minute, so the faces are built in parallel.
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        jobs_started = []
        for stem in CJK_FACES:
            for weight in WEIGHTS:
                collection = sources.cjk_collection(weight)
                output = out_dir / f"{stem}-{weight}.otf"
                future = pool.submit(build_cjk_face, collection, f"{stem}-{weight}", output)
                origin = (f"face {stem}-{weight} of {collection.name} (fonts-noto-cjk), "
                          "subset to the glyphs its cmap reaches; CFF hints, vertical metrics "
                          "and the locl and vertical layout features removed")
                jobs_started.append((output, origin, future))
        for output, origin, future in jobs_started:
            built.append(BuiltFont(output, origin, future.result()))

    for weight in WEIGHTS:
        latin = sources.noto_sans(weight)
        notices = copy_font(latin, out_dir / latin.name)
        built.append(BuiltFont(out_dir / latin.name,
                               f"{latin.name} (fonts-noto-core), unchanged", notices))

        arabic = sources.noto_sans_arabic(weight)
        output = out_dir / f"{ARABIC_FAMILY.replace(' ', '')}-{weight}.ttf"
        notices = build_arabic(arabic, latin, weight, output)
        built.append(BuiltFont(
            output,
            f"{arabic.name} merged with {latin.name} (fonts-noto-core) by fontTools.merge, "
            "hinting removed", notices))

    expected_names = {name for pair in FONT_FILES.values() for name in pair}
    built_names = {font.path.name for font in built}
    if expected_names - built_names:
        raise FontBuildError(
            f"no build step makes {sorted(expected_names - built_names)}, "
            "which kiosk.i18n.fonts.FONT_FILES names")
    return built


def license_text(source: Path) -> str:
    """Return the SIL Open Font License 1.1 text from a Debian copyright file."""
    try:
        lines = source.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise FontBuildError(f"failed to read license source {source}: {error.strerror}") from error
    except UnicodeDecodeError as error:
        raise FontBuildError(f"license source {source} is not UTF-8 text: {error}") from error
    body: list[str] | None = None
    for line in lines:
        if body is None:
            if line.startswith("License: SIL-1.1") or line.startswith("License: OFL-1.1"):
                body = []
            continue
        if not line.startswith(" "):
            # A stanza that only names its license (License-Grant style) has no body.
            if body:
                break
            body = None
            continue
        content = line[1:]
        body.append("" if content == "." else content)
    if not body or not any("SIL OPEN FONT LICENSE" in line.upper() or "PREAMBLE" in line
                           for line in body):
        raise FontBuildError(f"no SIL Open Font License 1.1 text found in {source}")
    return "\n".join(body).strip() + "\n"


def write_license(built: Sequence[BuiltFont], sources: FontSources, out_dir: Path) -> None:
    """Write OFL.txt: the copyright notices of all shipped fonts, then the license."""
    notices: list[str] = []
    for font in built:
        notices += [notice for notice in font.notices if notice not in notices]
    text = "\n".join(notices) + "\n\n" + license_text(sources.license_source)
    with staged(out_dir / "OFL.txt") as staging:
        staging.write_text(text, encoding="utf-8")


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def readme_text(built: Sequence[BuiltFont]) -> str:
    """Return README.md for the font folder: languages, sources, sizes and checksums."""
    by_file: dict[str, list[str]] = {}
    for language, names in FONT_FILES.items():
        for name in names:
            by_file.setdefault(name, []).append(language)
    total = sum(font.path.stat().st_size for font in built)

    lines = [
        "# Kiosk fonts",
        "",
        "Generated by `python -m kiosk.i18n.fontbuild --out assets/fonts` from the Debian",
        "packages fonts-noto-cjk and fonts-noto-core. Do not edit the files by hand.",
        f"This set was built with fontTools {fontTools.version}. The same sources and",
        "fontTools version give byte-identical files.",
        "",
        "Kivy's SDL2 text provider draws a label with face 0 of one file and no",
        "fallback, so each language has one file that covers its script, Latin,",
        "digits and punctuation. `kiosk/i18n/fonts.py` maps languages to files.",
        "",
        "- Chinese, Japanese and Korean: each file is one regional face of Noto Sans",
        "  CJK with that face's whole cmap (all its ideographs, kana, Hangul syllables,",
        "  Latin, Cyrillic and punctuation). The cmap alone picks the regional glyph,",
        "  so 骨 and 述 take the form of the file's region. The `locl` feature is",
        "  removed because it would swap in another region's forms whenever the",
        "  shaper is given a language. CFF hints (about 2 MB per file) and",
        "  vertical-text data are removed to keep the folder small. Subroutines",
        "  are inlined: FreeType reads all of a font's subroutines into memory for",
        "  each size Kivy opens, 1.4 MB per size for these faces.",
        "- English and Russian: Noto Sans, unchanged. It covers far more Latin and",
        "  Cyrillic than the CJK faces and costs Kivy much less memory per font size.",
        "  CJK characters in English or Russian text show as boxes.",
        f"- Arabic: {ARABIC_FAMILY}, Noto Sans Arabic merged with Noto Sans, so",
        "  reshaped Arabic (presentation forms U+FB50-U+FDFF and U+FE70-U+FEFF) and",
        "  Latin digits, letters and URLs come from the same file.",
        "",
        "All files are under the SIL Open Font License 1.1; see `OFL.txt`.",
        "",
        "| File | Languages | Size (bytes) | Made from | SHA-256 |",
        "|---|---|---:|---|---|",
    ]
    for font in sorted(built, key=lambda item: item.path.name):
        languages = ", ".join(by_file.get(font.path.name, [])) or "none"
        size = font.path.stat().st_size
        lines.append(f"| {font.path.name} | {languages} | {size:,} | {font.origin} "
                     f"| `{sha256(font.path)[:16]}` |")
    lines += ["", f"Total: {total:,} bytes ({total / 1e6:.1f} MB).", ""]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m kiosk.i18n.fontbuild",
        description="Build the kiosk's per-language font files from Debian's Noto fonts.")
    parser.add_argument("--out", type=Path, required=True,
                        help="output folder, normally assets/fonts")
    parser.add_argument("--cjk-dir", type=Path, default=FontSources.cjk_dir,
                        help="folder of NotoSansCJK-Regular.ttc and NotoSansCJK-Bold.ttc "
                             "(default: %(default)s)")
    parser.add_argument("--noto-dir", type=Path, default=FontSources.noto_dir,
                        help="folder of NotoSans-*.ttf and NotoSansArabic-*.ttf "
                             "(default: %(default)s)")
    parser.add_argument("--license-source", type=Path, default=FontSources.license_source,
                        help="Debian copyright file containing the OFL 1.1 text "
                             "(default: %(default)s)")
    parser.add_argument("--jobs", type=int, default=min(4, os.cpu_count() or 1),
                        help="CJK faces built in parallel (default: %(default)s)")
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error(f"--jobs must be at least 1, got {args.jobs}")

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    # fontTools logs every table it subsets or merges at INFO.
    logging.getLogger("fontTools").setLevel(logging.WARNING)
    sources = FontSources(args.cjk_dir, args.noto_dir, args.license_source)
    try:
        built = build_all(sources, args.out, args.jobs)
        write_license(built, sources, args.out)
        with staged(args.out / "README.md") as staging:
            staging.write_text(readme_text(built), encoding="utf-8")
    except FontBuildError as error:
        logger.error("%s", error)
        return 1
    total = sum(font.path.stat().st_size for font in built)
    logger.info("Built %d font files in %s, %.1f MB in total", len(built), args.out, total / 1e6)
    return 0


if __name__ == "__main__":
    sys.exit(main())
