"""Heartbeat benchmark: the admin console under gunicorn on 127.0.0.1, many kiosks posting.

For each database (SQLite, then a PostgreSQL cluster this script starts in a
temporary folder), the script migrates a fresh database, registers the
kiosks with tokens, starts gunicorn, and runs two phases from a second
process:

* fixed rate: heartbeats scheduled at ``--rate`` per second for
  ``--duration`` seconds, latency measured from each request's scheduled
  start, so a slow server cannot hide its queueing delay (up to 64 client
  threads);
* saturation: ``--concurrency`` clients posting back to back for
  ``--duration`` seconds, which gives the sustained maximum.

Run it from the repository root:

    .venv/bin/python tests/benchmarks/bench_heartbeat.py

10,000 kiosks reporting every 60 s need 167 heartbeats per second. Every
loop is bounded by its duration and request count, and every server started
here listens on 127.0.0.1 only and is stopped at the end.
"""

# The benchmark starts only its own programs (python, gunicorn, PostgreSQL) with
# arguments it builds itself.
# ruff: noqa: S603

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import queue
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()
REPO = HERE.parents[2]
HEARTBEAT_PATH = "/fleet/api/heartbeat"
#: Seconds to wait for gunicorn or PostgreSQL to accept connections.
START_TIMEOUT_S = 60.0
#: Socket timeout of one benchmark request, in seconds.
REQUEST_TIMEOUT_S = 10.0


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_for_port(port: int, process: subprocess.Popen[bytes], program: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{program} exited with status {process.returncode} while starting")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{program} did not accept connections on port {port} within "
                       f"{START_TIMEOUT_S:.0f} s")


# -- the body a kiosk sends ----------------------------------------------------------

def heartbeat_body(kiosk_id: str, sequence: int) -> bytes:
    """A typical heartbeat: two sources, a few screen views, no errors."""
    document = {
        "schema": 1, "kiosk_id": kiosk_id,
        "sent_at": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()),
        "app_version": "0.1.0", "content_version": 42, "clock_status": "ok",
        "uptime_s": 3600 + sequence,
        "sources": [
            {"name": "content", "kind": "content", "last_success": "2026-12-04T08:00:00+00:00",
             "last_error": None, "consecutive_failures": 0},
            {"name": "weather-alerts", "kind": "feed",
             "last_success": "2026-12-04T08:00:00+00:00", "last_error": None,
             "consecutive_failures": 0},
        ],
        "errors": [],
        "views": {"home": {"zh_Hans": 3, "en": 1}, "notices": {"zh_Hans": 1}},
    }
    return json.dumps(document, separators=(",", ":")).encode()


# -- step run inside the Django environment --------------------------------------------

def prepare(kiosk_count: int, tokens_path: Path) -> None:
    """Register ``kiosk_count`` kiosks with new tokens and write ``kiosk_id token`` lines."""
    import django

    django.setup()
    from django.utils import timezone

    from kiosk.admin.fleet.models import Kiosk
    from kiosk.admin.fleet.tokens import generate_token

    now = timezone.now()
    lines = []
    kiosks = []
    for index in range(kiosk_count):
        new = generate_token()
        kiosk_id = f"bench-{index:05d}"
        kiosks.append(Kiosk(kiosk_id=kiosk_id, name=f"Benchmark kiosk {index}",
                            token_selector=new.selector, token_hash=new.digest,
                            token_created_at=now))
        lines.append(f"{kiosk_id} {new.token}\n")
    Kiosk.objects.bulk_create(kiosks, batch_size=1000)
    descriptor = os.open(tokens_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as stream:
        stream.writelines(lines)


# -- the load generator (second process) ----------------------------------------------

@dataclass
class Outcome:
    #: Seconds from the scheduled start (fixed rate) or the send (saturation) to the reply.
    latency_s: float
    status: int


def post_once(port: int, kiosk_id: str, token: str, sequence: int) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT_S)
    try:
        connection.request("POST", HEARTBEAT_PATH, body=heartbeat_body(kiosk_id, sequence),
                           headers={"Authorization": f"Bearer {token}",
                                    "Content-Type": "application/json"})
        response = connection.getresponse()
        response.read()
        return response.status
    except OSError:
        return 0
    finally:
        connection.close()


def fixed_rate(port: int, kiosks: list[tuple[str, str]], rate: float, duration_s: float,
               concurrency: int) -> tuple[list[Outcome], float]:
    total = int(rate * duration_s)
    jobs: queue.SimpleQueue[tuple[int, float] | None] = queue.SimpleQueue()
    outcomes: list[Outcome] = []
    lock = threading.Lock()
    start = time.perf_counter() + 0.5
    for index in range(total):
        jobs.put((index, start + index / rate))

    def work() -> None:
        while True:
            job = jobs.get()
            if job is None:
                return
            index, scheduled = job
            delay = scheduled - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            kiosk_id, token = kiosks[index % len(kiosks)]
            status = post_once(port, kiosk_id, token, index)
            outcome = Outcome(time.perf_counter() - scheduled, status)
            with lock:
                outcomes.append(outcome)

    threads = [threading.Thread(target=work, daemon=True) for _ in range(concurrency)]
    for _ in threads:
        jobs.put(None)
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(duration_s + 60)
    return outcomes, time.perf_counter() - start


def saturation(port: int, kiosks: list[tuple[str, str]], duration_s: float,
               concurrency: int, max_requests: int) -> tuple[list[Outcome], float]:
    outcomes: list[Outcome] = []
    lock = threading.Lock()
    counter = iter(range(max_requests))
    start = time.perf_counter()
    end = start + duration_s

    def work() -> None:
        while time.perf_counter() < end:
            with lock:
                index = next(counter, None)
            if index is None:
                return
            kiosk_id, token = kiosks[index % len(kiosks)]
            sent = time.perf_counter()
            status = post_once(port, kiosk_id, token, index)
            outcome = Outcome(time.perf_counter() - sent, status)
            with lock:
                outcomes.append(outcome)

    threads = [threading.Thread(target=work, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(duration_s + 60)
    return outcomes, time.perf_counter() - start


def summarise(outcomes: list[Outcome], elapsed_s: float) -> dict[str, Any]:
    ok = [outcome.latency_s for outcome in outcomes if outcome.status == 200]
    failed: dict[str, int] = {}
    for outcome in outcomes:
        if outcome.status != 200:
            failed[str(outcome.status)] = failed.get(str(outcome.status), 0) + 1
    return {
        "requests": len(outcomes), "ok": len(ok), "failed": failed,
        "elapsed_s": round(elapsed_s, 2),
        "per_second": round(len(ok) / elapsed_s, 1) if elapsed_s else 0.0,
        "p50_ms": round(1000 * statistics.median(ok), 1) if ok else None,
        "p99_ms": round(1000 * percentile(ok, 0.99), 1) if ok else None,
        "max_ms": round(1000 * max(ok), 1) if ok else None,
    }


def load(port: int, tokens_path: Path, rate: float, duration_s: float,
         concurrency: int, max_requests: int) -> None:
    kiosks = [tuple(line.split()) for line in tokens_path.read_text().splitlines()]
    pairs = [(kiosk_id, token) for kiosk_id, token in kiosks]
    for index in range(20):
        post_once(port, *pairs[index % len(pairs)], index)
    steady = summarise(*fixed_rate(port, pairs, rate, duration_s, concurrency=64))
    peak = summarise(*saturation(port, pairs, duration_s, concurrency, max_requests))
    print(json.dumps({"fixed_rate": steady, "saturation": peak}))


# -- servers ---------------------------------------------------------------------------

@contextmanager
def postgres_cluster() -> Iterator[str]:
    """Start a PostgreSQL cluster in a temporary folder on 127.0.0.1 and yield its URL.

    As root the server runs as the postgres user, which owns the folder.
    """
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"),
                      key=lambda path: int(path.parent.name))
    if not versions:
        raise RuntimeError("PostgreSQL server programs not found under /usr/lib/postgresql")
    with tempfile.TemporaryDirectory(prefix="bench-heartbeat-postgres-") as temporary:
        yield from _run_cluster(versions[-1], Path(temporary))


def _run_cluster(bin_dir: Path, folder: Path) -> Iterator[str]:
    as_owner: list[str] = []
    if os.geteuid() == 0:
        as_owner = ["runuser", "-u", "postgres", "--"]
        shutil.chown(folder, "postgres")
    password = os.urandom(16).hex()
    (folder / "password").write_text(password + "\n")
    if os.geteuid() == 0:
        shutil.chown(folder / "password", "postgres")
    port = free_port()
    data = folder / "data"
    subprocess.run([*as_owner, str(bin_dir / "initdb"), "-D", str(data), "-U", "kiosk",
                    "--auth=scram-sha-256", f"--pwfile={folder / 'password'}", "-E", "UTF8",
                    "--locale=C.UTF-8"], check=True, capture_output=True, timeout=120)
    subprocess.run([*as_owner, str(bin_dir / "pg_ctl"), "-D", str(data), "-l",
                    str(folder / "server.log"), "-w", "-t", "60", "-o",
                    f"-c listen_addresses=127.0.0.1 -p {port} -k {folder}", "start"],
                   check=True, capture_output=True, timeout=120)
    try:
        subprocess.run([str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U",
                        "kiosk", "kiosk"], check=True, env={**os.environ, "PGPASSWORD": password},
                       capture_output=True, timeout=60)
        yield f"postgres://kiosk:{password}@127.0.0.1:{port}/kiosk"
    finally:
        subprocess.run([*as_owner, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast",
                        "-w", "stop"], capture_output=True, timeout=120, check=False)


@contextmanager
def gunicorn(environment: dict[str, str], workers: int, log: Path) -> Iterator[int]:
    port = free_port()
    with log.open("wb") as stream:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "kiosk.admin.wsgi:application",
             "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
             "--log-level", "warning"],
            env=environment, cwd=REPO, stdout=stream, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, process, "gunicorn")
        yield port
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)


def run_database(name: str, database_url: str | None, folder: Path,
                 args: argparse.Namespace) -> dict[str, Any]:
    environment = {**os.environ, "KIOSK_ADMIN_DATA": str(folder),
                   "DJANGO_SETTINGS_MODULE": "kiosk.admin.settings",
                   "KIOSK_ADMIN_LOG_LEVEL": "WARNING", "PYTHONPATH": str(REPO)}
    environment.pop("DATABASE_URL", None)
    if database_url:
        environment["DATABASE_URL"] = database_url
    subprocess.run([sys.executable, "-m", "django", "migrate", "--noinput"], env=environment,
                   cwd=REPO, check=True, capture_output=True, timeout=600)
    if database_url is None and args.sqlite_wal:
        # The journal mode is stored in the database file, so every connection uses it.
        with sqlite3.connect(folder / "admin.sqlite3") as connection:
            connection.execute("PRAGMA journal_mode=WAL")
    tokens = folder / "tokens.txt"
    subprocess.run([sys.executable, str(HERE), "prepare", "--kiosks", str(args.kiosks),
                    "--tokens", str(tokens)], env=environment, cwd=REPO, check=True,
                   timeout=600)
    log = folder / "gunicorn.log"
    with gunicorn(environment, args.workers, log) as port:
        output = subprocess.run(
            [sys.executable, str(HERE), "load", "--port", str(port), "--tokens", str(tokens),
             "--rate", str(args.rate), "--duration", str(args.duration),
             "--concurrency", str(args.concurrency), "--max-requests", str(args.max_requests)],
            cwd=REPO, check=True, capture_output=True, text=True,
            timeout=4 * args.duration + 240)
    errors = [line for line in log.read_text(errors="replace").splitlines()
              if "Traceback" in line or "ERROR" in line]
    result: dict[str, Any] = json.loads(output.stdout.strip().splitlines()[-1])
    result["database"] = name
    result["server_errors"] = len(errors)
    return result


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{os.cpu_count()} CPUs (nproc), {model}, Python {platform.python_version()}, "
            f"{platform.system()} {platform.release()}")


def print_table(results: list[dict[str, Any]], args: argparse.Namespace,
                load_before: tuple[float, float, float]) -> None:
    print(f"Machine: {machine()}")
    # Other programs on the machine compete with the server and the clients.
    print(f"Load average (1, 5, 15 min) before: {load_before[0]:.2f} {load_before[1]:.2f} "
          f"{load_before[2]:.2f}, after: " + " ".join(f"{value:.2f}" for value in os.getloadavg()))
    print(f"Kiosks: {args.kiosks}, gunicorn workers: {args.workers}, "
          f"phase duration: {args.duration:g} s")
    print()
    print("| database | phase | heartbeats/s | p50 ms | p99 ms | max ms | ok | failed |")
    print("|---|---|---|---|---|---|---|---|")
    for result in results:
        for phase, label in (("fixed_rate", f"fixed rate {args.rate:g}/s"),
                             ("saturation", f"{args.concurrency} clients back to back")):
            row = result[phase]
            failed = ", ".join(f"{count}× {status or 'connection error'}"
                               for status, count in row["failed"].items()) or "0"
            print(f"| {result['database']} | {label} | {row['per_second']} | {row['p50_ms']} | "
                  f"{row['p99_ms']} | {row['max_ms']} | {row['ok']} | {failed} |")
    for result in results:
        if result["server_errors"]:
            print(f"{result['database']}: {result['server_errors']} error lines in the "
                  "gunicorn log")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command")
    run = commands.add_parser("run", help="run the benchmark (the default)")
    for target in (parser, run):
        target.add_argument("--kiosks", type=int, default=10_000,
                            help="kiosks registered and simulated (default 10000)")
        target.add_argument("--rate", type=float, default=167.0,
                            help="heartbeats per second in the fixed-rate phase (default 167)")
        target.add_argument("--duration", type=float, default=20.0,
                            help="seconds of each phase (default 20)")
        target.add_argument("--concurrency", type=int, default=16,
                            help="clients in the saturation phase (default 16)")
        target.add_argument("--max-requests", type=int, default=50_000,
                            help="upper bound on requests in the saturation phase")
        target.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1,
                            help="gunicorn worker processes (default 2 x CPUs + 1)")
        target.add_argument("--databases", default="sqlite,postgres",
                            help="comma-separated: sqlite, postgres")
        target.add_argument("--sqlite-wal", action="store_true",
                            help="switch the SQLite database to write-ahead logging")
    prepare_parser = commands.add_parser("prepare")
    prepare_parser.add_argument("--kiosks", type=int, required=True)
    prepare_parser.add_argument("--tokens", type=Path, required=True)
    load_parser = commands.add_parser("load")
    load_parser.add_argument("--port", type=int, required=True)
    load_parser.add_argument("--tokens", type=Path, required=True)
    load_parser.add_argument("--rate", type=float, required=True)
    load_parser.add_argument("--duration", type=float, required=True)
    load_parser.add_argument("--concurrency", type=int, required=True)
    load_parser.add_argument("--max-requests", type=int, required=True)
    args = parser.parse_args()

    if args.command == "prepare":
        prepare(args.kiosks, args.tokens)
        return 0
    if args.command == "load":
        load(args.port, args.tokens, args.rate, args.duration, args.concurrency,
             args.max_requests)
        return 0

    load_before = os.getloadavg()
    results = []
    for name in args.databases.split(","):
        with tempfile.TemporaryDirectory(prefix=f"bench-heartbeat-{name}-") as temporary:
            folder = Path(temporary)
            if name == "sqlite":
                label = "SQLite, WAL" if args.sqlite_wal else "SQLite"
                results.append(run_database(label, None, folder, args))
            elif name == "postgres":
                with postgres_cluster() as url:
                    results.append(run_database("PostgreSQL", url, folder, args))
            else:
                parser.error(f"unknown database {name!r}; expected sqlite or postgres")
    print_table(results, args, load_before)
    return 0


if __name__ == "__main__":
    sys.exit(main())
