"""What the benchmarks share: results as data, gunicorn on loopback, logging in as staff do
(second factor included), HTTP load from wrk, and a PostgreSQL database to measure on.

A benchmark's ``measure`` function returns :class:`Comparison` values, one per measured
thing, each holding every round of the measured series and of its baseline from the same
run (the page benchmarks return an :class:`HttpRun`, which builds them); ``bench/run`` turns
them into ``bench/RESULTS.md`` and ``print_table`` into a terminal table, so nothing parses
printed text.

Pages are loaded by wrk (:func:`wrk`), a C load generator whose cost per request is small
beside any Python server's, so a ratio to a baseline says how much more the page costs than
the baseline, not how fast a Python client is. The thread client (:func:`load`,
:func:`repeatedly`) stays for what wrk cannot script: a login, which reads a CSRF token from
one answer to send it in the next.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import http.client
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pyotp
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
# bench/run hands the benchmarks one PostgreSQL server through this superuser URL; each
# benchmark makes its own database there. Without it a benchmark starts a cluster of its own.
ADMIN_URL_VARIABLE = "PCBENCH_PG_ADMIN_URL"
# The plain role the application runs as, as in production (no superuser rights).
APP_ROLE = "pc_bench"
REQUEST_TIMEOUT = 30.0


class BenchError(Exception):
    """A benchmark could not measure what it claims to (a server did not start, a request
    failed): its numbers would mean nothing."""


# --- results --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Series:
    """One quantity measured once per round."""

    name: str
    unit: str
    rounds: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.rounds)

    @property
    def low(self) -> float:
        return min(self.rounds)

    @property
    def high(self) -> float:
        return max(self.rounds)


@dataclass(frozen=True)
class Comparison:
    """A measured series and its baseline, measured in the same run with the same unit. The
    ratio is of the medians: above 1 means more of the unit than the baseline (for a rate,
    faster; for a latency, slower)."""

    benchmark: str
    measured: Series
    baseline: Series
    notes: dict[str, str] = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        return self.measured.median / self.baseline.median


def print_table(comparisons: Sequence[Comparison]) -> None:
    print(f"{'case':44} {'unit':7} {'median':>9} {'min':>9} {'max':>9} {'ratio':>8}")
    shown: set[int] = set()
    for comparison in comparisons:
        for series, ratio in ((comparison.baseline, None), (comparison.measured, comparison.ratio)):
            if id(series) in shown:
                continue
            shown.add(id(series))
            label = f"{series.name} (baseline)" if ratio is None else series.name
            print(
                f"{label:44} {series.unit:7} {series.median:9.1f} {series.low:9.1f} "
                f"{series.high:9.1f} {'1' if ratio is None else f'{ratio:.3f}':>8}"
            )


# --- servers on loopback --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(port: int, process: subprocess.Popen | None = None, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise BenchError(f"the server for port {port} exited with {process.returncode}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise BenchError(f"server on port {port} did not start")


def clean_environment() -> dict[str, str]:
    """The environment without any ``PARTNERCONTACT_*`` setting of the caller's."""
    return {k: v for k, v in os.environ.items() if not k.startswith("PARTNERCONTACT_")}


def _no_control_socket() -> list[str]:
    # Newer gunicorns open a control socket at one fixed path per user; two servers at once
    # (the app and its baseline) would collide there, and nothing here uses it.
    from gunicorn.config import KNOWN_SETTINGS

    flag = "--no-control-socket"
    return [flag] if any(flag in (setting.cli or []) for setting in KNOWN_SETTINGS) else []


_NO_CONTROL_SOCKET = _no_control_socket()


def wait_until_served(port: int, path: str, timeout: float = 120) -> None:
    """Until ``path`` answers 200. The port opens as soon as gunicorn's master binds it; the
    workers import the app after that, which on a busy machine takes many seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
            try:
                conn.request("GET", path)
                if conn.getresponse().status == 200:
                    return
            finally:
                conn.close()
        except (OSError, http.client.HTTPException):
            pass
        if time.monotonic() > deadline:
            raise BenchError(f"{path} on port {port} did not answer 200 in {timeout:g} s")
        time.sleep(0.2)


@contextlib.contextmanager
def gunicorn(
    env: dict[str, str], workers: int, *apps: tuple[str, str]
) -> Iterator[tuple[int, ...]]:
    """Each ``(target, ready)`` served by gunicorn's sync workers (as in production) on a free
    loopback port, for the duration; started together, yielded once every page ``ready``
    answers, as a port per app."""
    started: list[tuple[subprocess.Popen, int]] = []
    try:
        for target, _ in apps:
            port = free_port()
            command = [sys.executable, "-m", "gunicorn", "--workers", str(workers)]
            command += ["--worker-class", "sync", "--bind", f"127.0.0.1:{port}"]
            command += ["--log-level", "warning", *_NO_CONTROL_SOCKET, target]
            started.append((subprocess.Popen(command, cwd=ROOT, env=env), port))
        for (process, port), (_, ready) in zip(started, apps, strict=True):
            wait_for(port, process)
            wait_until_served(port, ready)
        yield tuple(port for _, port in started)
    finally:
        for process, _ in started:
            process.terminate()
        for process, _ in started:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


# --- the client -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: str


def request(
    port: int, path: str, cookie: str | None = None, method: str = "GET", body: str | None = None
) -> Reply:
    """One request on a connection of its own (gunicorn's sync workers close every one)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
    try:
        headers = {"Cookie": cookie} if cookie else {}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read().decode()
        return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, data)
    finally:
        conn.close()


def session_cookie(reply: Reply, current: str | None) -> str | None:
    fresh = reply.headers.get("set-cookie")
    return fresh.split(";", 1)[0] if fresh else current


def csrf_token(page: str) -> str:
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    if found is None:
        raise BenchError("no CSRF token on the login page")
    return found.group(1)


def log_in(port: int, username: str, password: str, totp_secret: str | None = None) -> str:
    """Log in through the login pages as a person does, with the TOTP code when the account
    asks for one; returns the session cookie (``name=value``).

    A code is accepted once per 30-second step, so each account logs in once per run.
    """
    start = request(port, "/login")
    cookie = session_cookie(start, None)
    token = csrf_token(start.body)
    fields = {"csrf_token": token, "username": username, "password": password}
    reply = request(port, "/login", cookie, "POST", urlencode(fields))
    cookie = session_cookie(reply, cookie)
    if reply.status != 302:
        raise BenchError(f"login of {username} failed with status {reply.status}")
    if urlsplit(reply.headers.get("location", "")).path == "/login/code":
        if totp_secret is None:
            raise BenchError(f"{username} is asked for a second factor the run does not know")
        code_page = request(port, "/login/code", cookie)
        cookie = session_cookie(code_page, cookie)
        fields = {"csrf_token": csrf_token(code_page.body), "code": pyotp.TOTP(totp_secret).now()}
        reply = request(port, "/login/code", cookie, "POST", urlencode(fields))
        cookie = session_cookie(reply, cookie)
        if reply.status != 302 or urlsplit(reply.headers.get("location", "")).path.startswith(
            "/login"
        ):
            raise BenchError(f"second factor of {username} refused (status {reply.status})")
    if cookie is None:
        raise BenchError(f"login of {username} set no session cookie")
    return cookie


@dataclass(frozen=True)
class Visit:
    """What one client loads: a path, with a session cookie or none, and a text every good
    answer contains (proof that it is the page asked for, not a login page or an error)."""

    path: str
    cookie: str | None
    expect: str


@dataclass
class Load:
    """One timed round of load: requests answered as expected, those that were not, and the
    latency of each good one (seconds)."""

    elapsed: float
    served: int
    errors: int
    first_error: str | None
    latencies: list[float]

    @property
    def per_second(self) -> float:
        return self.served / self.elapsed

    def percentile(self, share: float) -> float:
        """The latency below which ``share`` of the good requests finished, in ms."""
        ordered = sorted(self.latencies)
        if not ordered:
            raise BenchError("no request was served")
        index = min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))
        return ordered[index] * 1000


def load(port: int, visits: Sequence[Visit], seconds: float) -> Load:
    """One thread per visit, each requesting its page again and again until ``seconds`` have
    passed (a request under way then finishes; each has a timeout)."""

    def visiting(visit: Visit) -> Callable[[], str | None]:
        def once() -> str | None:
            try:
                reply = request(port, visit.path, visit.cookie)
            except (OSError, http.client.HTTPException) as exc:
                return f"{visit.path}: {type(exc).__name__}: {exc}"
            if reply.status == 200 and visit.expect in reply.body:
                return None
            return f"{visit.path}: status {reply.status}" + (
                "" if reply.status != 200 else ", without the expected content"
            )

        return once

    return repeatedly([visiting(visit) for visit in visits], seconds)


def repeatedly(actions: Sequence[Callable[[], str | None]], seconds: float) -> Load:
    """One thread per action, each doing it again and again until ``seconds`` have passed.
    An action answers None when it went as expected, else what went wrong; the latency of
    each good one is kept."""
    latencies: list[list[float]] = [[] for _ in actions]
    errors: list[str] = []
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def run(index: int, action: Callable[[], str | None]) -> None:
        mine = latencies[index]
        while time.monotonic() < stop:
            began = time.perf_counter()
            problem = action()
            if problem is None:
                mine.append(time.perf_counter() - began)
                continue
            with lock:
                errors.append(problem)

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(actions)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    every = [latency for mine in latencies for latency in mine]
    return Load(elapsed, len(every), len(errors), errors[0] if errors else None, every)


# --- wrk ------------------------------------------------------------------------------------------

WRK_SCRIPT = ROOT / "bench" / "wrk" / "visits.lua"
WRK_MARK = "PCBENCH_WRK "


@dataclass(frozen=True)
class HttpRound:
    """One timed round of wrk against one endpoint: requests answered as expected, those that
    were not (socket errors, timeouts, answers other than a 200 with the expected text), and
    the median (p50) and 99th-percentile (p99) latency of the round's requests, in ms."""

    seconds: float
    served: int
    errors: int
    first_error: str | None
    p50: float
    p99: float

    @property
    def per_second(self) -> float:
        return self.served / self.seconds


def wrk(
    port: int, visits: Sequence[Visit], seconds: float, clients: int | None = None
) -> HttpRound:
    """``clients`` connections (one per visit by default) load ``visits`` from 127.0.0.1:port
    for ``seconds`` (whole seconds, at least one), each on a wrk thread of its own and each
    sending its own visits round-robin with their Cookie header (see bench/wrk/visits.lua).

    Gunicorn's sync workers close every connection after its answer; wrk opens a new one for
    the next request, as the thread client did. A request's latency runs from its first byte
    sent to its answer's last byte received."""
    if shutil.which("wrk") is None:
        raise BenchError("wrk is not installed (apt-get install wrk; bench/run installs it)")
    connections = clients or len(visits)
    if not visits or connections < 1:
        raise BenchError("wrk needs at least one visit and one connection")
    whole = max(1, round(seconds))
    with tempfile.NamedTemporaryFile("w", suffix=".tsv", encoding="utf-8") as listing:
        for visit in visits:
            fields = (visit.path, visit.cookie or "", visit.expect)
            if any(char in field for field in fields for char in "\t\r\n"):
                raise BenchError(f"a visit's fields hold a tab or a line break: {visit.path}")
            listing.write("\t".join(fields) + "\n")
        listing.flush()
        command = ["wrk", f"-t{connections}", f"-c{connections}", f"-d{whole}s", "--latency"]
        command += ["--timeout", f"{REQUEST_TIMEOUT:.0f}s", "-s", str(WRK_SCRIPT)]
        command += [f"http://127.0.0.1:{port}", "--", listing.name, str(connections)]
        finished = subprocess.run(
            command, capture_output=True, text=True, timeout=whole + REQUEST_TIMEOUT + 30
        )
    found = [line for line in finished.stdout.splitlines() if line.startswith(WRK_MARK)]
    if finished.returncode != 0 or not found:
        raise BenchError(
            f"wrk exited with {finished.returncode}: {finished.stderr.strip() or finished.stdout}"
        )
    report = json.loads(found[-1].removeprefix(WRK_MARK))
    socket_errors = report["socket_errors"] + report["timeouts"]
    bad_answers = report["non_2xx"] + report["failed_expectations"]
    first_error = report["first_error"]
    if first_error is None and socket_errors:
        first_error = f"{report['socket_errors']} socket errors, {report['timeouts']} timeouts"
    return HttpRound(
        seconds=report["duration_us"] / 1e6,
        served=report["requests"] - bad_answers,
        errors=socket_errors + bad_answers,
        first_error=first_error,
        p50=report["p50_us"] / 1000,
        p99=report["p99_us"] / 1000,
    )


@dataclass(frozen=True)
class Endpoint:
    """Every round of one endpoint under wrk in one run."""

    name: str
    rounds: tuple[HttpRound, ...]

    @property
    def served(self) -> int:
        return sum(r.served for r in self.rounds)

    @property
    def errors(self) -> int:
        return sum(r.errors for r in self.rounds)

    @property
    def first_error(self) -> str | None:
        return next((r.first_error for r in self.rounds if r.first_error), None)


# What each round of an endpoint reports: (name, unit, value).
HTTP_METRICS: tuple[tuple[str, str, Callable[[HttpRound], float]], ...] = (
    ("throughput", "req/s", lambda r: r.per_second),
    ("p50 latency", "ms", lambda r: r.p50),
    ("p99 latency", "ms", lambda r: r.p99),
)


@dataclass(frozen=True)
class HttpRun:
    """A page benchmark's run: each page and each baseline, every round, all measured in the
    same run on the same gunicorn setup and database, rounds alternating. The first baseline
    is the one targets are stated against; ``about`` says what was measured and how, for
    bench/RESULTS.md. Failed requests are counted here, not raised."""

    benchmark: str
    title: str
    about: str
    clients: int
    workers: int
    seconds: float
    pages: tuple[Endpoint, ...]
    baselines: tuple[Endpoint, ...]
    notes: dict[str, str] = field(default_factory=dict)

    @property
    def endpoints(self) -> tuple[Endpoint, ...]:
        return (*self.baselines, *self.pages)

    @property
    def errors(self) -> int:
        return sum(endpoint.errors for endpoint in self.endpoints)

    @property
    def first_error(self) -> str | None:
        return next((e.first_error for e in self.endpoints if e.first_error), None)

    @functools.cached_property
    def _series(self) -> dict[tuple[str, str], Series]:
        # One Series per endpoint and metric, so every comparison shares its baseline's.
        return {
            (endpoint.name, metric): Series(
                f"{endpoint.name} ({self.clients} clients), {metric}",
                unit,
                tuple(map(value, endpoint.rounds)),
            )
            for endpoint in self.endpoints
            for metric, unit, value in HTTP_METRICS
        }

    def series(self, endpoint: Endpoint, metric: str) -> Series:
        return self._series[(endpoint.name, metric)]

    def ratio(self, page: Endpoint, baseline: Endpoint, metric: str) -> float:
        return self.series(page, metric).median / self.series(baseline, metric).median

    def comparisons(self, baseline: Endpoint | None = None) -> list[Comparison]:
        """Each page against ``baseline`` (by default the first), metric by metric."""
        against = baseline or self.baselines[0]
        return [
            Comparison(
                self.benchmark,
                self.series(page, metric),
                self.series(against, metric),
                notes=self.notes,
            )
            for page in self.pages
            for metric, _, _ in HTTP_METRICS
        ]


# The columns of a page benchmark's table, in order.
TABLE_METRICS = ("p50 latency", "p99 latency", "throughput")


def http_arguments(description: str, seconds: float) -> argparse.ArgumentParser:
    """The options every page benchmark takes on the command line."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--seconds", type=float, default=seconds)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    return parser


def report_http_run(run: HttpRun, rounds: int, seconds: float, each: str = "each") -> None:
    """A page benchmark's run on the terminal; exits non-zero if any request failed."""
    if run.errors:
        raise SystemExit(f"{run.errors} requests failed, e.g. {run.first_error}")
    print(
        f"gunicorn sync, {run.workers} workers, {run.clients} wrk connections, "
        f"{rounds} x {seconds:g} s {each}"
    )
    print_http_run(run)


def print_http_run(run: HttpRun) -> None:
    """Medians of every endpoint, then each page's ratios to each baseline."""
    print(f"{'':64} {'p50 ms':>9} {'p99 ms':>9} {'req/s':>9}")
    for endpoint in run.endpoints:
        values = [run.series(endpoint, metric).median for metric in TABLE_METRICS]
        print(f"{endpoint.name:64}" + "".join(f" {value:9.1f}" for value in values))
    for page in run.pages:
        for baseline in run.baselines:
            ratios = [run.ratio(page, baseline, metric) for metric in TABLE_METRICS]
            label = f"ratio {page.name} / {baseline.name}"
            print(f"{label[:64]:64}" + "".join(f" {ratio:9.3f}" for ratio in ratios))
    for key, value in run.notes.items():
        print(f"{key}: {value}")


# --- PostgreSQL -----------------------------------------------------------------------------------


def _server_bin() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    if not found:
        raise BenchError("no PostgreSQL server under /usr/lib/postgresql (apt install postgresql)")
    return found[-1].parent


@contextlib.contextmanager
def throwaway_cluster() -> Iterator[str]:
    """A PostgreSQL cluster in a temporary folder for the duration, started as scripts/test
    starts one (the same durability settings traded for speed; as root it runs as the
    ``postgres`` user); yields its superuser URL."""
    server = _server_bin()
    as_root = os.geteuid() == 0
    folder = Path(tempfile.mkdtemp(prefix="pc-bench-pg."))

    def run(*command: str | Path) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if as_root else []
        subprocess.run(
            [*prefix, *map(str, command)], check=True, cwd="/", capture_output=True, text=True
        )

    if as_root:
        shutil.chown(folder, "postgres")
    data = folder / "data"
    port = free_port()
    started = False
    try:
        run(server / "initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8",
            "--locale=C.UTF-8", "--no-sync")  # fmt: skip
        with (data / "postgresql.conf").open("a") as conf:
            conf.write(
                f"listen_addresses = '127.0.0.1'\nport = {port}\n"
                f"unix_socket_directories = '{folder}'\n"
                "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
            )
        run(server / "pg_ctl", "-D", data, "-l", folder / "server.log", "-w", "-t", "60", "start")
        started = True
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        if started:
            with contextlib.suppress(subprocess.CalledProcessError):
                run(server / "pg_ctl", "-D", data, "-m", "immediate", "-w", "stop")
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def postgres_server(admin_url: str | None = None) -> Iterator[str]:
    """The superuser URL of the server to use: ``admin_url``, else ``PCBENCH_PG_ADMIN_URL``,
    else a throwaway cluster for the duration."""
    given = admin_url or os.environ.get(ADMIN_URL_VARIABLE)
    if given:
        yield given
        return
    with throwaway_cluster() as started:
        yield started


@contextlib.contextmanager
def migrated_database(admin_url: str | None, name: str) -> Iterator[tuple[str, Path, Path]]:
    """A database of its own named ``name`` on the server of ``admin_url`` (see
    :func:`postgres_server`), migrated to the newest revision, with a fresh key file and an
    empty instance folder: ``(url, keys, instance)``, all gone afterwards."""
    from partnercontact.crypto.keyfile import generate_key_file
    from partnercontact.migrate import upgrade

    with (
        tempfile.TemporaryDirectory() as folder,
        postgres_server(admin_url) as server,
        fresh_database(server, name) as url,
    ):
        instance = Path(folder) / "instance"
        instance.mkdir()
        keys = Path(folder) / "keys.json"
        generate_key_file(keys)
        upgrade(url)
        yield url, keys, instance


@contextlib.contextmanager
def fresh_database(admin_url: str, name: str) -> Iterator[str]:
    """An empty database ``name`` on the server of ``admin_url``, owned by and logged into
    as the plain role the application runs as; dropped afterwards. Yields its URL."""
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    quoted = f'"{name}"'
    try:
        with admin.connect() as conn:
            exists = conn.scalar(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": APP_ROLE})
            if not exists:
                # The password is for clusters whose pg_hba.conf asks one (scripts/test's
                # does), on loopback only.
                conn.execute(text(f"CREATE ROLE {APP_ROLE} LOGIN PASSWORD '{APP_ROLE}'"))
            conn.execute(text(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"))
            conn.execute(text(f"CREATE DATABASE {quoted} OWNER {APP_ROLE}"))
        url = make_url(admin_url).set(username=APP_ROLE, password=APP_ROLE, database=name)
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"))
        admin.dispose()


def server_version(admin_url: str) -> str:
    engine = create_engine(admin_url)
    try:
        with engine.connect() as conn:
            return str(conn.scalar(text("SHOW server_version")))
    finally:
        engine.dispose()


def make_hit_table(url: str) -> None:
    """The table of bench.bare_read's read-plus-insert route, in the database of ``url``."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "CREATE TABLE IF NOT EXISTS bench_hit "
                    "(id bigserial PRIMARY KEY, case_id uuid NOT NULL, at timestamptz NOT NULL)"
                )
            )
    finally:
        engine.dispose()
