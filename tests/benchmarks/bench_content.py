"""Content benchmarks: bundle loading, feed parsing and the cost of a sync when nothing changed.

Three parts, each printed as Markdown tables:

* **Bundle load**: bundles of 100, 1,000 and 10,000 notices, made from the
  shipped default bundle by repeating its notices with new ids and numbered
  titles (all seven languages kept), loaded through
  ``kiosk.ui.launch.load_start_bundle`` as the kiosk does at start-up: no
  verified content in the data folder, so it reads the configured default
  bundle file. The tables give medians and 95th percentiles over repeated
  runs in one process, the time per notice and the steps of one load. The
  first load in a new process is timed apart, because it also imports the
  packages and loads the schema validator.
* **Feed parsing**: ``kiosk.feeds.parse_feed`` on 1,000 generated CAP 1.2
  alerts, each with a Chinese and an English ``info`` block of about the size
  of a real weather warning, and on an RSS 2.0 and an Atom feed of 500 items
  each. With ``KIOSK_SAMPLE_FEEDS`` set to a folder, every ``*.xml`` file in
  it is parsed too.
* **Sync with no change**: after a first full sync, the bytes sent and
  received and the requests made by one more sync of one feed
  (``kiosk.sync.feeds.FeedSyncer``) and of the signed repository
  (``kiosk.sync.content.ContentUpdater``, published with ``kiosk.publish``).
  A TCP proxy on 127.0.0.1 counts every byte on the client's connections,
  headers included (plain HTTP, so no TLS handshakes). The server behaves
  like a static web server: ETag and Last-Modified on every file, 304 to a
  matching conditional request, and a short 404 page. The served files are
  dated ten minutes back, as after a publish some time before.

Run it from the repository root:

    .venv/bin/python tests/benchmarks/bench_content.py

``--quick`` runs fewer repetitions. Every server started here listens on
127.0.0.1 only and is stopped at the end.
"""

# The benchmark starts only its own Python interpreter with arguments it builds.
# ruff: noqa: S603

from __future__ import annotations

import argparse
import copy
import email.utils
import functools
import hashlib
import http.server
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

HERE = Path(__file__).resolve()
REPO = HERE.parents[2]
DEFAULT_BUNDLE = REPO / "assets" / "content" / "default-bundle.json"
#: Notices per generated bundle, with the number of timed loads of each.
BUNDLE_SIZES = ((100, 40), (1_000, 20), (10_000, 5))
#: CAP alerts generated for the parsing benchmark.
CAP_ALERTS = 1_000
#: Items in each generated RSS and Atom feed. The parser reads at most 500.
FEED_ITEMS = 500


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def machine_description() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    return (f"{os.cpu_count()} cores ({model}, {platform.machine()}), "
            f"Python {platform.python_version()}, {platform.system()} {platform.release()}; "
            f"load average at the start {load}")


# Part 1: bundle load.

def bundle_document(notice_count: int) -> dict[str, Any]:
    """Return the default bundle with ``notice_count`` notices made from its own."""
    document: dict[str, Any] = json.loads(DEFAULT_BUNDLE.read_text("utf-8"))
    templates = document["notices"]
    notices = []
    for index in range(notice_count):
        notice = copy.deepcopy(templates[index % len(templates)])
        notice["id"] = f"{notice['id']}-{index:05d}"
        notice["title"] = {language: f"{text} ({index})"
                           for language, text in notice["title"].items()}
        notices.append(notice)
    document["notices"] = notices
    return document


def write_bundle(folder: Path, notice_count: int) -> Path:
    path = folder / f"bundle-{notice_count}.json"
    path.write_text(json.dumps(bundle_document(notice_count), ensure_ascii=False, indent=2),
                    "utf-8")
    return path


def time_calls(function: Callable[[], object], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return times


def phase_times(path: Path, runs: int) -> dict[str, float]:
    """Return the median seconds of each step that ``parse_bundle`` takes, run one by one."""
    from kiosk.content.decoding import decode_document
    from kiosk.content.loader import build_bundle
    from kiosk.content.validation import validate_document

    data = path.read_bytes()
    decode_times = time_calls(lambda: decode_document(data, str(path)), runs)
    document = decode_document(data, str(path))
    validate_times = time_calls(lambda: validate_document(document, str(path)), runs)
    build_times = time_calls(lambda: build_bundle(document), runs)
    return {"decode": statistics.median(decode_times),
            "validate": statistics.median(validate_times),
            "build": statistics.median(build_times)}


_FIRST_LOAD_CHILD = """
import sys, time
from pathlib import Path
started = time.perf_counter()
from kiosk.config import KioskConfig
from kiosk.ui.launch import load_start_bundle
import kiosk.content.loader, kiosk.sync.store
from kiosk.content import validation
imported = time.perf_counter()
getattr(validation, "_compiled_validator", lambda: None)()
compiled = time.perf_counter()
config = KioskConfig(data_dir=Path(sys.argv[2]), default_bundle=Path(sys.argv[1]))
bundle = load_start_bundle(config)
loaded = time.perf_counter()
print(imported - started, compiled - imported, loaded - compiled, len(bundle.notices))
"""


def first_load(path: Path, data_dir: Path) -> tuple[float, float, float]:
    """Return the import, validator compile and first load times of ``path`` in a new process.

    The imports are those that ``load_start_bundle`` needs, the sync and
    content packages included.
    """
    output = subprocess.run([sys.executable, "-c", _FIRST_LOAD_CHILD, str(path), str(data_dir)],
                            check=True, capture_output=True, text=True, timeout=600).stdout
    import_s, compile_s, load_s, _ = output.split()
    return float(import_s), float(compile_s), float(load_s)


def bench_bundles(quick: bool) -> None:
    from kiosk.config import KioskConfig
    from kiosk.ui.launch import load_start_bundle

    print("## Bundle load\n")
    with tempfile.TemporaryDirectory(prefix="bench-content-") as temp:
        folder = Path(temp)
        data_dir = folder / "data"
        data_dir.mkdir()
        rows = []
        phases = []
        for notice_count, runs in BUNDLE_SIZES:
            runs = max(3, runs // 4) if quick else runs
            path = write_bundle(folder, notice_count)
            config = KioskConfig(data_dir=data_dir, default_bundle=path)
            bundle = load_start_bundle(config)
            if len(bundle.notices) != notice_count:
                raise RuntimeError(f"{path} loaded {len(bundle.notices)} notices, "
                                   f"expected {notice_count}")
            times = time_calls(functools.partial(load_start_bundle, config), runs)
            median = statistics.median(times)
            rows.append((notice_count, path.stat().st_size, runs, median,
                         percentile(times, 0.95), median / notice_count))
            phases.append((notice_count, phase_times(path, runs)))
        cold_path = folder / "bundle-1000.json"
        cold = [first_load(cold_path, data_dir) for _ in range(3 if quick else 7)]

    print("| notices | file (MB) | runs | median (ms) | p95 (ms) | per notice (µs) |")
    print("|---|---|---|---|---|---|")
    for notice_count, size, runs, median, p95, per_notice in rows:
        print(f"| {notice_count:,} | {size / 1e6:.1f} | {runs} | {median * 1e3:.1f} | "
              f"{p95 * 1e3:.1f} | {per_notice * 1e6:.1f} |")
    print()
    print("Median time of each step of one load (ms):\n")
    print("| notices | decode JSON | validate (schema and rules) | build model |")
    print("|---|---|---|---|")
    for notice_count, phase in phases:
        print(f"| {notice_count:,} | {phase['decode'] * 1e3:.1f} | "
              f"{phase['validate'] * 1e3:.1f} | {phase['build'] * 1e3:.1f} |")
    print()
    print(f"The 1,000-notice bundle in a new process, medians of {len(cold)} processes: "
          f"imports {statistics.median(c[0] for c in cold) * 1e3:.0f} ms, loading the "
          f"schema validator {statistics.median(c[1] for c in cold) * 1e3:.0f} ms, first load "
          f"{statistics.median(c[2] for c in cold) * 1e3:.0f} ms.\n")


# Part 2: feed parsing.

_CAP_TEMPLATE = """<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>bench-{number:05d}</identifier>
  <sender>weather.bench.invalid</sender>
  <sent>2026-12-04T08:{minute:02d}:00+08:00</sent>
  <status>Actual</status>
  <msgType>Alert</msgType>
  <scope>Public</scope>
  <info>
    <language>zh-CN</language>
    <category>Met</category>
    <event>寒潮</event>
    <urgency>Expected</urgency>
    <severity>Severe</severity>
    <certainty>Likely</certainty>
    <effective>2026-12-04T08:00:00+08:00</effective>
    <expires>2026-12-06T08:00:00+08:00</expires>
    <senderName>市气象台</senderName>
    <headline>市气象台发布寒潮橙色预警信号（第{number}号）</headline>
    <description>受强冷空气影响，预计今天夜间到后天，本市大部分地区气温将下降10到12℃，\
最低气温降至零下8℃左右，并伴有6到8级偏北大风，阵风可达9级。请注意防寒保暖，\
减少户外活动；高速公路、机场和铁路车站可能出现延误，出行前请查询最新班次信息。\
受影响地区：北部山区、中部平原及沿海各区县。</description>
    <instruction>老人、儿童和患有慢性病的旅客请做好防寒措施；驾车出行请注意路面结冰，\
降低车速，保持车距。</instruction>
    <web>https://weather.bench.invalid/alerts/{number}</web>
    <area>
      <areaDesc>北部山区、中部平原、沿海各区县</areaDesc>
      <geocode><valueName>CPEAS Geographic Code</valueName><value>110000000000</value></geocode>
    </area>
  </info>
  <info>
    <language>en-US</language>
    <category>Met</category>
    <event>Cold wave</event>
    <urgency>Expected</urgency>
    <severity>Severe</severity>
    <certainty>Likely</certainty>
    <effective>2026-12-04T08:00:00+08:00</effective>
    <expires>2026-12-06T08:00:00+08:00</expires>
    <senderName>City Meteorological Observatory</senderName>
    <headline>Orange cold wave warning, number {number}</headline>
    <description>A strong cold air mass will bring temperature drops of 10 to 12 °C to most \
of the city from tonight until the day after tomorrow, with lows near minus 8 °C and \
northerly winds of force 6 to 8, gusting to force 9. Keep warm and limit time outdoors. \
Motorways, the airport and railway stations may see delays: check the latest departures \
before you travel. Affected areas: the northern mountains, the central plain and the \
coastal districts.</description>
    <instruction>Older travellers, children and people with chronic illness should keep \
warm. Drivers should expect icy roads, slow down and keep their distance.</instruction>
    <web>https://weather.bench.invalid/alerts/{number}?lang=en</web>
    <area>
      <areaDesc>Northern mountains, central plain and coastal districts</areaDesc>
      <geocode><valueName>CPEAS Geographic Code</valueName><value>110000000000</value></geocode>
    </area>
  </info>
</alert>
"""


def cap_alerts(count: int) -> list[bytes]:
    return [_CAP_TEMPLATE.format(number=number, minute=number % 60).encode("utf-8")
            for number in range(count)]


_RSS_DESCRIPTION = escape("<p>Trains to the airport leave from platform 4 until further notice. "
                          "Allow ten more minutes for the walk.</p>")


def rss_feed(count: int) -> bytes:
    items = "".join(
        f"<item><title>Service notice {number}: platform change at the central station</title>"
        f"<link>https://transport.bench.invalid/notices/{number}</link>"
        f"<guid>https://transport.bench.invalid/notices/{number}</guid>"
        f"<pubDate>Fri, 04 Dec 2026 {number % 24:02d}:00:00 +0800</pubDate>"
        f"<description>{_RSS_DESCRIPTION}</description></item>"
        for number in range(count))
    return (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
            f"<title>Transport notices</title><link>https://transport.bench.invalid/</link>"
            f"<description>Notices</description><language>en</language>{items}"
            f"</channel></rss>").encode()


def atom_feed(count: int) -> bytes:
    entries = "".join(
        f"<entry><title>站台调整通知 {number}</title>"
        f'<link href="https://transport.bench.invalid/zh/notices/{number}"/>'
        f"<id>urn:bench:notice:{number}</id>"
        f"<updated>2026-12-04T{number % 24:02d}:00:00+08:00</updated>"
        f"<summary>前往机场的列车改由4号站台发车，请预留十分钟步行时间。</summary></entry>"
        for number in range(count))
    return (f'<?xml version="1.0" encoding="UTF-8"?>'
            f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="zh-CN">'
            f"<title>交通通知</title><id>urn:bench:feed</id>"
            f"<updated>2026-12-04T08:00:00+08:00</updated>{entries}</feed>").encode()


def bench_feeds(quick: bool) -> None:
    from kiosk.feeds import FeedError, parse_feed

    print("## Feed parsing\n")
    passes = 2 if quick else 5
    alerts = cap_alerts(CAP_ALERTS)
    total_bytes = sum(map(len, alerts))
    for data in alerts[:3]:
        if len(parse_feed(data, feed_id="bench", source_url="https://weather.bench.invalid/").notices) != 1:
            raise RuntimeError("a generated CAP alert did not give one notice")

    def parse_all() -> None:
        for data in alerts:
            parse_feed(data, feed_id="bench", source_url="https://weather.bench.invalid/")

    cap_times = time_calls(parse_all, passes)
    print("| input | documents | items | bytes each | passes | median (ms) | items/s | MB/s |")
    print("|---|---|---|---|---|---|---|---|")
    median = statistics.median(cap_times)
    print(f"| CAP 1.2 alerts, zh-CN and en-US | {CAP_ALERTS:,} | {CAP_ALERTS:,} | "
          f"{total_bytes // CAP_ALERTS:,} | {passes} | {median * 1e3:.0f} | "
          f"{CAP_ALERTS / median:,.0f} | {total_bytes / median / 1e6:.2f} |")
    runs = 10 if quick else 30
    for label, document in (("RSS 2.0, en", rss_feed(FEED_ITEMS)),
                            ("Atom, zh-CN", atom_feed(FEED_ITEMS))):
        parsed = parse_feed(document, feed_id="bench", source_url="https://transport.bench.invalid/")
        items = len(parsed.notices)
        times = time_calls(functools.partial(parse_feed, document, feed_id="bench",
                                             source_url="https://transport.bench.invalid/"), runs)
        median = statistics.median(times)
        print(f"| {label} | 1 | {items} | {len(document):,} | {runs} | {median * 1e3:.1f} | "
              f"{items / median:,.0f} | {len(document) / median / 1e6:.2f} |")
    print()

    samples = os.environ.get("KIOSK_SAMPLE_FEEDS")
    if not samples:
        print("Real sample feeds: skipped, because KIOSK_SAMPLE_FEEDS is not set "
              "(set it to a folder of *.xml feed files).\n")
        return
    files = sorted(Path(samples).glob("*.xml"))
    print(f"Real sample feeds from KIOSK_SAMPLE_FEEDS ({len(files)} XML files, "
          f"{runs} parses each):\n")
    print("| file | bytes | result | median (ms) | MB/s |")
    print("|---|---|---|---|---|")
    for path in files:
        data = path.read_bytes()

        def parse_sample(data: bytes = data) -> str:
            try:
                parsed = parse_feed(data, feed_id="sample", source_url="https://sample.invalid/")
            except FeedError as error:
                return f"rejected: {str(error).split(': ', 1)[-1][:60]}"
            return f"{parsed.kind}, {len(parsed.notices)} notices"

        outcome = parse_sample()
        times = time_calls(parse_sample, runs)
        median = statistics.median(times)
        print(f"| {path.name} | {len(data):,} | {outcome} | {median * 1e3:.2f} | "
              f"{len(data) / median / 1e6:.2f} |")
    print()


# Part 3: sync when nothing changed.

@dataclass
class Counters:
    """Bytes and connections seen by the counting proxy, and requests seen by the server."""

    sent: int = 0
    received: int = 0
    connections: int = 0
    requests: list[tuple[str, int, int]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        with self.lock:
            self.sent = self.received = self.connections = 0
            self.requests = []


class CountingProxy:
    """Forward TCP connections from 127.0.0.1 to ``upstream``, counting bytes each way."""

    def __init__(self, upstream: tuple[str, int], counters: Counters) -> None:
        self._upstream = upstream
        self._counters = counters
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._accepting = threading.Thread(target=self._accept, daemon=True)
        self._accepting.start()

    @property
    def port(self) -> int:
        port: int = self._listener.getsockname()[1]
        return port

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            server = socket.create_connection(self._upstream, timeout=10)
            with self._counters.lock:
                self._counters.connections += 1
            for source, target, upward in ((client, server, True), (server, client, False)):
                thread = threading.Thread(target=self._pump, args=(source, target, upward),
                                          daemon=True)
                thread.start()
                self._threads.append(thread)

    def _pump(self, source: socket.socket, target: socket.socket, upward: bool) -> None:
        try:
            while chunk := source.recv(65536):
                with self._counters.lock:
                    if upward:
                        self._counters.sent += len(chunk)
                    else:
                        self._counters.received += len(chunk)
                target.sendall(chunk)
        except OSError:
            pass
        finally:
            for end in (source, target):
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def stop(self) -> None:
        self._stopping.set()
        self._listener.close()
        self._accepting.join(timeout=5)
        for thread in self._threads:
            thread.join(timeout=5)


def http_date(moment: float) -> str:
    return email.utils.formatdate(moment, usegmt=True)


class StaticHandler(http.server.BaseHTTPRequestHandler):
    """Serve files under the server's ``root`` as a static web server would."""

    protocol_version = "HTTP/1.1"
    server_version = "bench"
    sys_version = ""
    timeout = 5
    server: StaticServer

    def do_GET(self) -> None:
        relative = urlsplit(self.path).path.lstrip("/")
        path = (self.server.root / relative).resolve()
        if not path.is_file() or self.server.root not in path.parents:
            self._send(404, b"<html><body><h1>404 Not Found</h1></body></html>\n",
                       "text/html", {})
            return
        body = path.read_bytes()
        stat = path.stat()
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        last_modified = http_date(stat.st_mtime)
        validators = {"ETag": etag, "Last-Modified": last_modified}
        if_none_match = self.headers.get("If-None-Match")
        if (if_none_match == etag
                or (if_none_match is None
                    and self.headers.get("If-Modified-Since") == last_modified)):
            self._send(304, b"", None, validators)
            return
        content_type = "application/xml" if path.suffix == ".xml" else "application/json"
        self._send(200, body, content_type, validators)

    def _send(self, status: int, body: bytes, content_type: str | None,
              headers: dict[str, str]) -> None:
        self.server.counters.requests.append((self.path, status, len(body)))
        self.send_response(status)
        if content_type is not None:
            self.send_header("Content-Type", content_type)
        for name, value in headers.items():
            self.send_header(name, value)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if status != 304:
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class StaticServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, root: Path, counters: Counters) -> None:
        super().__init__(("127.0.0.1", 0), StaticHandler)
        self.root = root.resolve()
        self.counters = counters


@contextmanager
def counted_server(root: Path) -> Iterator[tuple[str, Counters]]:
    counters = Counters()
    server = StaticServer(root, counters)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    proxy = CountingProxy(server.server_address[:2], counters)  # type: ignore[arg-type]
    try:
        yield f"http://127.0.0.1:{proxy.port}/", counters
    finally:
        proxy.stop()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def bench_sync() -> None:
    from kiosk.config import FeedConfig, SyncConfig
    from kiosk.publish import init_keys, publish
    from kiosk.sync.cache import FeedCache
    from kiosk.sync.content import ContentUpdater
    from kiosk.sync.feeds import FeedSyncer
    from kiosk.sync.http import USER_AGENT, HttpClient

    print("## Sync when nothing changed\n")
    now = datetime.now(UTC).replace(microsecond=0)
    with tempfile.TemporaryDirectory(prefix="bench-sync-") as temp:
        folder = Path(temp)
        site = folder / "site"
        (site / "feeds").mkdir(parents=True)
        (site / "feeds" / "alert.xml").write_bytes(cap_alerts(1)[0])
        init_keys(folder / "keys")
        document = bundle_document(4)
        document["published_at"] = (now - timedelta(hours=1)).isoformat()
        document["expires_at"] = (now + timedelta(days=30)).isoformat()
        publish(document, site / "repo", folder / "keys", now=now)
        installed_root = folder / "installed-root.json"
        shutil.copy(site / "repo" / "metadata" / "root.json", installed_root)
        # A kiosk syncs minutes or hours after a publish. The kiosk ignores
        # validators of a file changed within a second of the response, so
        # files written just now would make every sync download in full.
        published = time.time() - 600
        for path in site.rglob("*"):
            os.utime(path, (published, published))
        sizes = {path.relative_to(site).as_posix(): path.stat().st_size
                 for path in sorted((site / "repo" / "metadata").glob("*.json"))}

        with counted_server(site) as (base_url, counters):
            feed = FeedConfig(id="bench", url=f"{base_url}feeds/alert.xml")
            config = SyncConfig(allowed_hosts=("127.0.0.1",), feeds=(feed,),
                                repository_url=f"{base_url}repo/", trusted_root=installed_root)
            with HttpClient(config, USER_AGENT) as client:
                feed_syncer = FeedSyncer(feed, config, client, FeedCache(folder / "feed-cache"))
                updater = ContentUpdater(config, folder / "data", client)
                rows = []
                for label, sync in (("feed", lambda: feed_syncer.sync(now)),
                                    ("repository", lambda: updater.sync(now))):
                    counters.reset()
                    first = sync()
                    rows.append((f"{label}, first sync", first, counters.sent,
                                 counters.received, counters.connections,
                                 list(counters.requests)))
                for label, sync in (("feed", lambda: feed_syncer.sync(now)),
                                    ("repository", lambda: updater.sync(now))):
                    # A sync runs every few minutes, after the server has
                    # closed the idle connection, so each one starts afresh.
                    client.close()
                    counters.reset()
                    again = sync()
                    rows.append((f"{label}, no change", again, counters.sent,
                                 counters.received, counters.connections,
                                 list(counters.requests)))

    print("| sync | result | requests | new TCP connections | sent (B) | received (B) | total (B) |")
    print("|---|---|---|---|---|---|---|")
    total = 0
    for label, result, sent, received, connections, requests in rows:
        ok = getattr(result, "ok", None)
        print(f"| {label} | {'ok' if ok else 'failed'} | {len(requests)} | {connections} | "
              f"{sent:,} | {received:,} | {sent + received:,} |")
        if "no change" in label:
            total += sent + received
    print(f"\nNo-change sync of one feed and the repository: {total:,} bytes in total.\n")
    print("Requests of the no-change syncs (status, body bytes):\n")
    for label, _, _, _, _, requests in rows:
        if "no change" in label:
            listed = ", ".join(f"`{path}` {status} ({length} B)" for path, status, length in requests)
            print(f"- {label}: {listed}")
    print("\nMetadata file sizes: " + ", ".join(f"{name} {size:,} B" for name, size in sizes.items())
          + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions, for a smoke run")
    parser.add_argument("--part", choices=("bundles", "feeds", "sync"), action="append",
                        help="run only this part; repeat for several (default: all)")
    arguments = parser.parse_args()
    parts = arguments.part or ["bundles", "feeds", "sync"]

    print(f"Machine: {machine_description()}. "
          f"Run on {datetime.now(UTC).strftime('%Y-%m-%d %H:%M')} UTC.\n")
    if "bundles" in parts:
        bench_bundles(arguments.quick)
    if "feeds" in parts:
        bench_feeds(arguments.quick)
    if "sync" in parts:
        bench_sync()


if __name__ == "__main__":
    main()
