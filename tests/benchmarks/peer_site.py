"""Render the kiosk's content as a static web site, the browser side of bench_vs_browser.py.

The site is what a passenger information screen built as a web page would
show in Chromium's kiosk mode. It has the same bundle, selected with the
kiosk's own ``select_content``, the same catalog strings, date formats and font
files, and a portrait 1080x1920 layout with the kiosk's sizes and colours.

Each language is one HTML page (``/<language>/``) that holds every screen as a
``<section>``; a few lines of JavaScript show one section at a time, as a
single-page kiosk app does, so a screen switch is not a page load. A language
switch is a link to the other language's page and so a page load. Fonts are
served by the same loopback server through ``@font-face``.

Run it alone to look at the site in a browser:

    .venv/bin/python tests/benchmarks/peer_site.py --serve
"""

from __future__ import annotations

import argparse
import html
import json
import logging
import math
import queue
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from kiosk.content.links import qr_link, qr_matrix, tel_link
from kiosk.content.loader import load_bundle
from kiosk.content.model import Bundle, LocalizedText, Notice, Severity
from kiosk.content.selection import Selection, select_content
from kiosk.i18n.catalogs import translations
from kiosk.i18n.fonts import FONT_FILES
from kiosk.i18n.formatting import format_clock, format_long_date, format_timestamp
from kiosk.i18n.languages import KIOSK_LANGUAGES, endonym, resolve_text, text_direction
from kiosk.ui.theme import DEFAULT_PALETTE, Metrics

logger = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parents[2]
DEFAULT_BUNDLE = REPO / "assets" / "content" / "default-bundle.json"
FONT_DIR = REPO / "assets" / "fonts"
#: Site of the sample configuration, assets/config/sample-kiosk.toml.
SAMPLE_SITE_ID = "sample-airport-t1"
SAMPLE_TIMEZONE = "Asia/Shanghai"
#: List screens in the order of the home tiles.
LIST_SCREENS = ("rules", "symptoms", "risk", "hotlines", "notices")


@dataclass(frozen=True)
class Page:
    """Everything one language's page needs, resolved and formatted."""

    language: str
    bundle: Bundle
    selection: Selection
    zone: tzinfo
    now: datetime

    def gettext(self, msgid: str, **fields: str) -> str:
        return str(translations(self.language).gettext(msgid)).format(**fields)

    def text(self, value: LocalizedText) -> str:
        return resolve_text(value, self.language, self.bundle.default_language).text

    def when(self, moment: datetime) -> str:
        return format_timestamp(moment, self.language, self.zone)


def font_family(language: str) -> str:
    return f"kiosk-{language}"


def html_lang(language: str) -> str:
    """Return the BCP 47 tag of a kiosk language, such as zh-Hans for zh_Hans."""
    return language.replace("_", "-")


def css_text() -> str:
    """Return the style sheet: the kiosk's theme and sizes for a 1080 px wide portrait screen."""
    palette = DEFAULT_PALETTE
    metrics = Metrics(scale=1.0, px_per_mm=math.hypot(1080, 1920) / (43 * 25.4), touch_target_mm=15.0)
    touch = round(metrics.touch_target)
    faces = []
    for language, (regular, bold) in FONT_FILES.items():
        for weight, name in ((400, regular), (700, bold)):
            faces.append(f'@font-face {{ font-family: "{font_family(language)}"; font-weight: {weight}; '
                         f'src: url("/fonts/{name}"); font-display: block; }}')
    families = "\n".join(f'[lang="{html_lang(language)}"] {{ font-family: "{font_family(language)}"; }}'
                         for language in KIOSK_LANGUAGES)
    return "\n".join(faces) + f"""
{families}
* {{ box-sizing: border-box; margin: 0; padding: 0; }}
html, body {{ width: 1080px; height: 1920px; overflow: hidden; }}
body {{ display: flex; flex-direction: column; background: {palette.background}; color: {palette.text};
  font-size: 36px; line-height: normal; }}
a {{ color: inherit; text-decoration: none; }}
p, h1, h2 {{ padding: 4px 0; overflow-wrap: anywhere; }}
h1, h2 {{ font-size: 48px; font-weight: 700; }}
.small {{ font-size: 28px; color: {palette.muted_text}; }}
header {{ background: {palette.header}; color: {palette.header_text}; padding: 18px 24px;
  display: flex; flex-direction: column; gap: 14px; }}
.names-row {{ display: flex; min-height: 150px; align-items: center; }}
.names {{ flex: 1; }}
.names .site {{ font-size: 48px; font-weight: 700; }}
.clock {{ width: 260px; text-align: end; font-size: 84px; font-weight: 700; }}
nav.languages {{ display: flex; gap: 8px; height: {touch}px; direction: ltr; }}
nav.languages a {{ flex: 1; display: flex; align-items: center; justify-content: center;
  font-size: 28px; border: 1.2px solid rgba(255, 255, 255, 0.6); border-radius: 10px; }}
nav.languages a.selected {{ background: {palette.selected}; color: {palette.selected_text}; }}
.sample {{ background: {palette.selected}; color: {palette.selected_text}; font-size: 28px;
  text-align: center; padding: 6px 24px; }}
main {{ flex: 1; min-height: 0; position: relative; }}
main > section {{ position: absolute; inset: 0; display: flex; flex-direction: column; }}
main > section[hidden] {{ display: none; }}
.column {{ flex: 1; min-height: 0; overflow-y: auto; padding: 24px; display: flex;
  flex-direction: column; gap: 24px; }}
.urgent {{ display: flex; flex-direction: column; gap: 16px; }}
.tiles {{ flex: 1; display: grid; grid-template-columns: 1fr 1fr; gap: 24px;
  grid-auto-rows: minmax(180px, 1fr); direction: ltr; }}
.tile {{ background: {palette.accent}; color: {palette.accent_text}; border-radius: 20px; padding: 32px;
  display: flex; flex-direction: column; gap: 10px; }}
html[dir="rtl"] .tile {{ direction: rtl; }}
.tile.header-tone {{ background: {palette.header}; color: {palette.header_text}; }}
.tile h2 {{ font-size: 46px; }}
.tile .small {{ color: inherit; }}
.topbar {{ display: flex; align-items: center; gap: 24px; padding: 16px 24px; height: {touch + 32}px; }}
.topbar h1 {{ flex: 1; }}
.button {{ display: inline-flex; align-items: center; justify-content: center; height: {touch}px;
  min-width: {touch * 2}px; padding: 0 30px; border-radius: 12px; background: {palette.accent};
  color: {palette.accent_text}; font-weight: 700; white-space: nowrap; }}
.list {{ flex: 1; min-height: 0; overflow-y: auto; padding: 24px; display: flex; flex-direction: column;
  gap: 16px; }}
.card {{ background: {palette.surface}; border-radius: 14px; padding: 22px 28px; display: flex;
  flex-direction: column; gap: 10px; border-inline-start: 12px solid transparent; }}
.card.banner {{ background: {palette.banner}; }}
.card.urgent-edge {{ border-inline-start-color: {palette.urgent}; }}
.card.warning-edge {{ border-inline-start-color: {palette.warning}; }}
.card.accent-edge {{ border-inline-start-color: {palette.accent}; }}
.card.risk_green-edge {{ border-inline-start-color: {palette.risk_green}; }}
.card.risk_yellow-edge {{ border-inline-start-color: {palette.risk_yellow}; }}
.card.risk_orange-edge {{ border-inline-start-color: {palette.risk_orange}; }}
.card.risk_red-edge {{ border-inline-start-color: {palette.risk_red}; }}
.qr-row {{ display: flex; gap: 24px; align-items: flex-start; }}
.qr-row svg {{ flex: none; }}
.risk-row {{ display: flex; gap: 24px; align-items: center; height: 110px; }}
.risk-row svg {{ flex: none; }}
footer {{ background: {palette.surface}; padding: 12px 24px; display: flex; flex-direction: column;
  gap: 4px; }}
footer .buttons {{ display: flex; gap: 16px; height: {touch}px; }}
"""


#: JavaScript of every page: the clock, showing one screen at a time, and the
#: report that the benchmark reads (sent only when the page URL has ?report=1).
SCRIPT = """\
"use strict";
const clock = document.getElementById("clock");
const clockFormat = new Intl.DateTimeFormat("en-GB", {timeZone: document.documentElement.dataset.zone,
  hour: "2-digit", minute: "2-digit", hourCycle: "h23"});
function tick() {
  const text = clockFormat.format(new Date());
  if (clock.textContent !== text) clock.textContent = text;
}
setInterval(tick, 1000);

function show(name) {
  if (!document.getElementById(name)) name = "home";
  for (const section of document.querySelectorAll("main > section")) section.hidden = section.id !== name;
  for (const link of document.querySelectorAll("nav.languages a")) link.hash = name === "home" ? "" : name;
  history.replaceState(null, "", name === "home" ? location.pathname + location.search : "#" + name);
}
document.addEventListener("click", (event) => {
  const link = event.target.closest("a[href^='#']");
  if (!link) return;
  event.preventDefault();
  show(link.getAttribute("href").slice(1));
});
show(location.hash.slice(1));

function centre(element) {
  const box = element.getBoundingClientRect();
  return [Math.round(box.left + box.width / 2), Math.round(box.top + box.height / 2)];
}
function layout() {
  const home = document.getElementById("home"), rules = document.getElementById("rules");
  const report = {
    tiles: Object.fromEntries([...document.querySelectorAll(".tile[href]")].map(
      (tile) => [tile.getAttribute("href").slice(1), centre(tile)])),
    languages: Object.fromEntries([...document.querySelectorAll("nav.languages a")].map(
      (link) => [link.dataset.language, centre(link)])),
  };
  const box = clock.getBoundingClientRect();
  report.clock = [box.left, box.top, box.right, box.bottom];
  // Layout only, no paint: both changes are undone before this task ends.
  const homeHidden = home.hidden, rulesHidden = rules.hidden;
  home.hidden = true; rules.hidden = false;
  report.back = centre(rules.querySelector(".topbar .button"));
  home.hidden = homeHidden; rules.hidden = rulesHidden;
  return report;
}
if (new URLSearchParams(location.search).has("report")) {
  document.fonts.ready.then(() => requestAnimationFrame(() => requestAnimationFrame(() => {
    navigator.sendBeacon("/report", JSON.stringify({
      event: "first-frame", language: document.documentElement.lang,
      epoch_ms: performance.timeOrigin + performance.now(), layout: layout()}));
  })));
}
tick();
"""


def e(text: str) -> str:
    return html.escape(text, quote=True)


def qr_svg(link: str) -> str:
    """Return the QR code for ``link`` as inline SVG, with the kiosk's module size."""
    metrics = Metrics(scale=1.0, px_per_mm=math.hypot(1080, 1920) / (43 * 25.4), touch_target_mm=15.0)
    module = metrics.qr_module
    matrix = qr_matrix(link)
    size = len(matrix) * module
    path = "".join(f"M{x * module},{y * module}h{module}v{module}h-{module}z"
                   for y, row in enumerate(matrix) for x, dark in enumerate(row) if dark)
    return (f'<svg width="{size}" height="{size}" viewBox="0 0 {size} {size}" aria-hidden="true">'
            f'<rect width="{size}" height="{size}" fill="#fff"/><path d="{path}" fill="#000"/></svg>')


def risk_badge_svg(colour: str) -> str:
    """Return the risk colour badge: the same shapes and marks as the kiosk's RiskBadge."""
    palette = DEFAULT_PALETTE
    fill = getattr(palette, f"risk_{colour}")
    mark = getattr(palette, f"risk_{colour}_text")
    shape = {
        "green": '<circle cx="55" cy="55" r="55"/>',
        "yellow": '<polygon points="55,0 0,99 110,99"/>',
        "orange": '<polygon points="55,0 0,55 55,110 110,55"/>',
        "red": '<rect x="8" y="8" width="94" height="94"/>',
    }[colour]
    marks = {
        "green": '<polyline points="30,55 50,74 83,36" fill="none"/>',
        "red": '<path d="M30,30L80,80M30,80L80,30"/>',
    }.get(colour, '<path d="M55,30V66"/><circle cx="55" cy="80" r="5" stroke="none" fill="currentColor"/>')
    return (f'<svg width="110" height="110" viewBox="0 0 110 110" aria-hidden="true" style="color:{mark}">'
            f'<g fill="{fill}">{shape}</g><g stroke="{mark}" stroke-width="8" stroke-linecap="round">'
            f'{marks}</g></svg>')


def card(title: str, body: str | None = None, lines: Iterable[str] = (), edge: str | None = None,
         extra_class: str = "", qr: str | None = None, qr_caption: str = "") -> str:
    parts = [f"<h2>{e(title)}</h2>"]
    if body:
        parts.append(f"<p>{e(body)}</p>")
    parts.extend(f'<p class="small">{e(line)}</p>' for line in lines)
    link = qr_link(qr)
    if link is not None:
        parts.append(f'<div class="qr-row">{qr_svg(link)}<div><p class="small">{e(qr_caption)}</p>'
                     f'<p class="small">{e(link.removeprefix("tel:"))}</p></div></div>')
    classes = " ".join(filter(None, ["card", f"{edge}-edge" if edge else "", extra_class]))
    return f'<div class="{classes}">{"".join(parts)}</div>'


def notice_title(page: Page, notice: Notice) -> str:
    title = page.text(notice.title)
    if notice.severity is Severity.URGENT:
        return page.gettext("Urgent: {title}", title=title)
    return title


def notice_lines(page: Page, notice: Notice) -> list[str]:
    lines = [page.gettext("Issued by {issuer}", issuer=page.text(notice.issuer))]
    if notice.published_at:
        lines.append(page.gettext("Published {time}", time=page.when(notice.published_at)))
    if notice.validity.valid_until:
        lines.append(page.gettext("Valid until {time}", time=page.when(notice.validity.valid_until)))
    return lines


def severity_edge(notice: Notice) -> str:
    return {Severity.URGENT: "urgent", Severity.WARNING: "warning"}.get(notice.severity, "accent")


def list_cards(page: Page, screen: str) -> list[str]:
    """Return the cards of one list screen, as the kiosk's screen of that name builds them."""
    selection = page.selection
    if screen == "rules":
        return [card(page.text(rule.title), page.text(rule.body), edge="accent", qr=rule.source_url,
                     qr_caption=page.gettext("Scan to open the official source"))
                for rule in selection.travel_rules]
    if screen == "symptoms":
        cards = []
        for item in selection.symptoms:
            lines = [page.gettext("Call {number}: {name}", number=line.number, name=page.text(line.name))
                     for line in map(page.bundle.hotline, item.hotline_ids) if line is not None]
            cards.append(card(page.text(item.title), page.text(item.body), lines, edge="warning"))
        return cards
    if screen == "risk":
        return [f'<div class="card risk_{level.colour.value}-edge"><div class="risk-row">'
                f'{risk_badge_svg(level.colour.value)}<h2>{e(page.text(level.label))}</h2></div>'
                f'<p class="small">{e(page.gettext("Applies when"))}</p><p>{e(page.text(level.criteria))}</p>'
                f'<p class="small">{e(page.gettext("What to do"))}</p><p>{e(page.text(level.advice))}</p></div>'
                for level in selection.risk_levels]
    if screen == "hotlines":
        return [card(page.gettext("{number} · {name}", number=line.number, name=page.text(line.name)),
                     page.text(line.scope), [page.gettext("Hours: {hours}", hours=page.text(line.hours))],
                     edge="accent", qr=tel_link(line.number),
                     qr_caption=page.gettext("Scan to call from your phone"))
                for line in selection.hotlines]
    if screen == "notices":
        return [card(notice_title(page, notice), None, notice_lines(page, notice), edge=severity_edge(notice))
                for notice in selection.notices]
    raise ValueError(f"unknown list screen {screen!r}")


#: Home tiles that open a list screen: screen name, title and subtitle msgids.
HOME_TILES = (("rules", "Travel rules", "Rules in force at this site"),
              ("symptoms", "Symptoms", "Fever, cough: what to do"),
              ("risk", "Risk levels", "What the four colours mean"),
              ("hotlines", "Hotlines", "Numbers to call for help"),
              ("notices", "Notices", "Latest official notices"))


def language_bar(language: str) -> str:
    links = []
    for code in KIOSK_LANGUAGES:
        selected = ' class="selected"' if code == language else ""
        links.append(f'<a href="/{code}/" lang="{html_lang(code)}" data-language="{code}"{selected}>'
                     f'{e(endonym(code))}</a>')
    return f'<nav class="languages">{"".join(links)}</nav>'


def home_section(page: Page) -> str:
    urgent = "".join(card(notice_title(page, notice), None, [page.gettext("Tap for details")], edge="urgent",
                          extra_class="banner")
                     for notice in page.selection.urgent_notices[:2])
    tiles = "".join(f'<a class="tile" href="#{name}"><h2>{e(page.gettext(title))}</h2>'
                    f'<p class="small">{e(page.gettext(subtitle))}</p></a>'
                    for name, title, subtitle in HOME_TILES)
    # The self-check has no page on this site, so its tile is drawn but leads nowhere.
    tiles += (f'<div class="tile header-tone"><h2>{e(page.gettext("Risk self-check"))}</h2>'
              f'<p class="small">{e(page.gettext("Anonymous, a few yes/no questions"))}</p></div>')
    return (f'<section id="home"><div class="column"><div class="urgent">{urgent}</div>'
            f'<div class="tiles">{tiles}</div></div></section>')


def list_sections(page: Page) -> str:
    titles = {name: title for name, title, _subtitle in HOME_TILES}
    sections = []
    for name in LIST_SCREENS:
        cards = list_cards(page, name) or [f'<p class="small">'
                                           f'{e(page.gettext("Nothing to show here at the moment."))}</p>']
        sections.append(f'<section id="{name}" hidden><div class="topbar"><a class="button" href="#home">'
                        f'{e(page.gettext("Home"))}</a><h1>{e(page.gettext(titles[name]))}</h1></div>'
                        f'<div class="list">{"".join(cards)}</div></section>')
    return "\n".join(sections)


def footer_html(page: Page) -> str:
    bundle = page.bundle
    lines = [
        page.gettext("Issued by {issuer}", issuer=page.text(bundle.issuer)),
        page.gettext("Content version {version}, updated {time}", version=str(bundle.version),
                     time=page.when(bundle.published_at)),
        page.gettext("For reference only. Follow the instructions of staff on site."),
    ]
    paragraphs = "".join(f'<p class="small">{e(line)}</p>' for line in lines)
    return (f'<footer><div class="buttons"><span class="button">{e(page.gettext("Large text"))}</span>'
            f'<span class="button">{e(page.gettext("High contrast"))}</span></div>{paragraphs}</footer>')


def page_html(page: Page) -> str:
    """Return one language's page with every screen in it; only home is shown at first."""
    language = page.language
    site = page.selection.site
    site_name = page.text(site.name) if site is not None else page.gettext("Passenger information")
    sample = (f'<div class="sample">{e(page.gettext("Sample content: not official information"))}</div>'
              if page.bundle.sample else "")
    zone_name = str(page.zone)
    return f"""<!doctype html>
<html lang="{html_lang(language)}" dir="{text_direction(language)}" data-zone="{e(zone_name)}" translate="no">
<head>
<meta charset="utf-8">
<meta name="google" content="notranslate">
<meta name="viewport" content="width=1080">
<title>{e(site_name)}</title>
<link rel="stylesheet" href="/site.css">
<script src="/site.js" defer></script>
</head>
<body>
<header>
<div class="names-row"><div class="names"><div class="site">{e(site_name)}</div>
<div class="date">{e(format_long_date(page.now, language, page.zone))}</div></div>
<div class="clock" id="clock">{e(format_clock(page.now, language, page.zone))}</div></div>
{language_bar(language)}
</header>
{sample}
<main>
{home_section(page)}
{list_sections(page)}
</main>
{footer_html(page)}
</body>
</html>
"""


def build_site(out: Path, bundle_path: Path = DEFAULT_BUNDLE, site_id: str = SAMPLE_SITE_ID,
               timezone: str = SAMPLE_TIMEZONE, now: datetime | None = None) -> Path:
    """Write the site into ``out``: one page per language, the style sheet, the script and the fonts."""
    moment = now or datetime.now(UTC)
    zone = ZoneInfo(timezone)
    bundle = load_bundle(bundle_path)
    out.mkdir(parents=True, exist_ok=True)
    (out / "site.css").write_text(css_text(), encoding="utf-8")
    (out / "site.js").write_text(SCRIPT, encoding="utf-8")
    fonts = out / "fonts"
    if not fonts.exists():
        fonts.symlink_to(FONT_DIR, target_is_directory=True)
    for language in KIOSK_LANGUAGES:
        # The kiosk selects in the bundle's default language and resolves each
        # text in the language on screen. The items in force do not depend on the language.
        selection = select_content(bundle, moment, site_id, bundle.default_language)
        page = Page(language, bundle, selection, zone, moment)
        folder = out / language
        folder.mkdir(exist_ok=True)
        (folder / "index.html").write_text(page_html(page), encoding="utf-8")
    (out / "index.html").write_text(
        f'<!doctype html><meta http-equiv="refresh" content="0; url=/{bundle.default_language}/">',
        encoding="utf-8")
    return out


class SiteServer:
    """A static file server on 127.0.0.1 with a random port, in a thread.

    ``POST /report`` stores the JSON body with its arrival time (time.time())
    in ``reports``. Everything else is served from the site folder with a
    one-hour cache lifetime, as a deployed static site would be.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.reports: queue.Queue[dict[str, Any]] = queue.Queue()
        reports = self.reports

        class Handler(SimpleHTTPRequestHandler):
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, directory=str(root), **kwargs)

            def end_headers(self) -> None:
                if self.command == "GET":
                    self.send_header("Cache-Control", "max-age=3600")
                super().end_headers()

            def do_POST(self) -> None:
                length = min(int(self.headers.get("Content-Length") or 0), 1 << 20)
                body = self.rfile.read(length)
                received = time.time()
                if self.path == "/report":
                    try:
                        document = json.loads(body)
                    except ValueError:
                        logger.warning("Ignored a report that is not JSON: %r", body[:80])
                    else:
                        if isinstance(document, dict):
                            document["received_epoch_s"] = received
                            reports.put(document)
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                logger.debug("site server: " + format, *args)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="peer-site", daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> SiteServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def wait_report(self, timeout_s: float, accept: Callable[[dict[str, Any]], bool] = lambda _r: True
                    ) -> dict[str, Any]:
        """Return the next report that ``accept`` takes; raise TimeoutError after ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no report from the page within {timeout_s:.0f} s")
            try:
                report = self.reports.get(timeout=remaining)
            except queue.Empty:
                continue
            if accept(report):
                return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None,
                        help="folder to write the site into (default: a new temporary folder)")
    parser.add_argument("--serve", action="store_true", help="serve the site on 127.0.0.1 until Ctrl+C")
    args = parser.parse_args()
    import tempfile

    out = args.out or Path(tempfile.mkdtemp(prefix="peer-site-"))
    build_site(out)
    print(f"Site written to {out}")
    if args.serve:
        server = SiteServer(out).start()
        print(f"Serving on {server.base_url}/ (Ctrl+C stops)")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            server.stop()


if __name__ == "__main__":
    main()
