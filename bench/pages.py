"""Each staff page on the national-scale database against the same page on a small one.

Both databases come from :mod:`bench.national` in the same run: the national one (20
clinics, 5,000 cases, 50,000 sessions, 2,000,000 audit rows at ``scale=1``) and its
one-clinic counterpart, where the same people hold the same amount of their own data. A page
whose cost does not grow with the whole database costs the same on both; the ratio of the
medians says how far it is from that.

Measured in-process, as the real app in production mode answers a logged-in person (Flask's
test client, password and TOTP code at login, no network): for each page, after a warm-up,
``requests`` requests a round on each database, the two taking turns request by request; a
round's value is the median latency in ms. Each request's SQL statements are counted too
(the same number on both databases, unless a page reads more as the data grows), and so are
the shared buffers its reading statements touch (EXPLAIN ANALYZE of each, apart from the
timed requests): unlike a latency on a busy machine, that count is exact, and it shows a plan
that reads more of a table as the nation grows long before the milliseconds do.

The pages, as the people of the first clinic see them: the partner-contact treater's case
page, inbox and calendar; the client treater's list of clients; and the manager's consent
register, statistics, tasks and access log, whole and filtered by a case reference, by a
person and by a month.

    .venv/bin/python -m bench.pages [--scale 1.0] [--rounds 3] [--requests 15] [--explain]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pyotp

from bench.case_page import case_tab, page_name
from bench.common import BenchError, Comparison, Series, postgres_server, print_table
from bench.national import Cast, NationalDatabase, national_database

BENCHMARK = "staff pages, national against small"
PUBLIC_URL = "https://partnercontact.example.org"
LIMIT = 1.25
# A table this large read whole by a page is a cost that grows with the database.
LARGE_TABLE = 10_000
# A statement touching this many times the buffers on the national database, and at least
# GROWTH_FLOOR more, reads more as the database grows.
GROWTH = 2
GROWTH_FLOOR = 50
_SEQ_SCAN = re.compile(r"Seq Scan on (\w+)")
_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@dataclass(frozen=True)
class Page:
    """One staff page: who looks at it, where, and a text every good answer holds."""

    name: str
    role: str  # "partner_treater", "client_treater" or "manager"
    path: str
    expect: str


def pages_of(cast: Cast) -> list[Page]:
    """Every measured page, as the first clinic's people see it."""
    from partnercontact.partner_side.scheduling.calendar import week_name
    from partnercontact.web.partner_side.sections import VIEWS

    first, last = cast.period
    log = "/management/access-log"
    # The week of the sessions booked ahead at the build, and the month before it.
    week = week_name(cast.built_on + timedelta(days=1))
    month = (cast.built_on.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    return [
        *(
            Page(page_name(view.key), "partner_treater", *case_tab(cast.case_id, view.key))
            for view in VIEWS
        ),
        Page("partner inbox", "partner_treater", "/partner/", cast.case_reference),
        Page("client list", "client_treater", "/client/", cast.client_name),
        Page("calendar", "partner_treater", f"/calendar?week={week}", cast.case_reference),
        Page("consent register", "manager", "/management/consents", "<td"),
        Page("statistics", "manager", f"/management/statistics?period={month}", "<table"),
        Page("access log", "manager", log, "<td"),
        Page(
            "access log by record",
            "manager",
            f"{log}?record_type=partner_case&record_id={cast.case_reference}",
            cast.case_reference,
        ),
        Page(
            "access log by actor", "manager", f"{log}?actor={cast.partner_treater.user_id}", "<td"
        ),
        Page(
            "access log by period",
            "manager",
            f"{log}?date_from={first.isoformat()}&date_to={last.isoformat()}",
            "<td",
        ),
        Page("manager's tasks", "manager", "/management/tasks", 'id="manager-tasks"'),
    ]


@dataclass
class Probe:
    """The statements one request sent, with how long each took (s)."""

    statements: list[tuple[str, Any, float]] = field(default_factory=list)


@dataclass
class Site:
    """The real app on one database, with a logged-in test client per person."""

    name: str
    database: NationalDatabase
    app: Any
    clients: dict[str, Any]
    probe: Probe | None = None

    def get(self, page: Page) -> tuple[float, int, str]:
        """One request: seconds, status, body."""
        client = self.clients[page.role]
        began = time.perf_counter()
        response = client.get(page.path, base_url=PUBLIC_URL)
        elapsed = time.perf_counter() - began
        return elapsed, response.status_code, response.get_data(as_text=True)

    @contextlib.contextmanager
    def probing(self) -> Iterator[Probe]:
        probe = Probe()
        self.probe = probe
        try:
            yield probe
        finally:
            self.probe = None


def _environment(database: NationalDatabase) -> dict[str, str]:
    return {
        "PARTNERCONTACT_MODE": "production",
        "PARTNERCONTACT_DATABASE__URL": database.url,
        "PARTNERCONTACT_KEYS__FILE": str(database.keys),
        "PARTNERCONTACT_INSTANCE_PATH": str(database.instance),
        "PARTNERCONTACT_AUTH__SECOND_FACTOR": "required",
        "PARTNERCONTACT_SERVER__PUBLIC_URL": PUBLIC_URL,
        "PARTNERCONTACT_PORTAL__PUBLIC_URL": "https://portal.example.org",
        "PARTNERCONTACT_WORKER__EMBEDDED": "false",
    }


def _log_in(app: Any, username: str, password: str, totp_secret: str) -> Any:
    client = app.test_client()

    def submit(path: str, fields: dict[str, str]) -> Any:
        page = client.get(path, base_url=PUBLIC_URL)
        found = _TOKEN.search(page.get_data(as_text=True))
        if found is None:
            raise BenchError(f"no CSRF token on {path} (status {page.status_code})")
        return client.post(path, data={"csrf_token": found.group(1), **fields}, base_url=PUBLIC_URL)

    reply = submit("/login", {"username": username, "password": password})
    if reply.status_code != 302:
        raise BenchError(f"login of {username} answered {reply.status_code}")
    if reply.headers["Location"].endswith("/login/code"):
        reply = submit("/login/code", {"code": pyotp.TOTP(totp_secret).now()})
        if reply.status_code != 302 or "/login" in reply.headers["Location"]:
            raise BenchError(f"the second factor of {username} was refused")
    return client


def open_site(name: str, database: NationalDatabase) -> Site:
    """The app in production mode on ``database``, each of the cast logged in."""
    from sqlalchemy import event

    from partnercontact.app import create_app
    from partnercontact.config import load_config
    from partnercontact.db import db

    config = load_config(environ=_environment(database), instance_path=database.instance)
    app = create_app(config)
    cast = database.cast
    clients = {
        role: _log_in(app, login.username, login.password, login.totp_secret)
        for role, login in (
            ("partner_treater", cast.partner_treater),
            ("client_treater", cast.client_treater),
            ("manager", cast.manager),
        )
    }
    site = Site(name, database, app, clients)
    with app.app_context():
        engine = db.engine

    def before(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        if site.probe is not None:
            conn.info["pc_bench_began"] = time.perf_counter()

    def after(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        if site.probe is not None:
            took = time.perf_counter() - conn.info.pop("pc_bench_began", time.perf_counter())
            site.probe.statements.append((statement, parameters, took))

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    return site


@dataclass
class PageResult:
    page: Page
    rounds: dict[str, list[float]] = field(default_factory=lambda: {"small": [], "national": []})
    statements: dict[str, int] = field(default_factory=dict)
    # Shared buffers touched by each reading statement of one request, in the order sent.
    blocks: dict[str, list[int]] = field(default_factory=dict)
    # Every statement of one request, in the order sent.
    sent: dict[str, list[tuple[str, Any, float]]] = field(default_factory=dict)


def check(site: Site, page: Page) -> None:
    """Raise unless ``page`` answers 200 with its expected text."""
    _, status, body = site.get(page)
    if status != 200 or page.expect not in body:
        shown = "without the expected content" if status == 200 else ""
        raise BenchError(f"{page.name} on the {site.name} database answered {status} {shown}")


def _round(small: Site, national: Site, page: Page, requests: int, number: int) -> dict[str, float]:
    """The median latency (ms) of ``requests`` requests for ``page`` on each database, the
    two taking turns request by request (the one going first changing each time), so that
    whatever else the machine does at the moment weighs on both alike."""
    latencies: dict[str, list[float]] = {small.name: [], national.name: []}
    for request in range(requests):
        pair = (small, national) if (request + number) % 2 == 0 else (national, small)
        for site in pair:
            elapsed, status, _ = site.get(_same_page(page, site))
            if status != 200:
                raise BenchError(f"{page.name} on the {site.name} database answered {status}")
            latencies[site.name].append(elapsed * 1000)
    return {name: statistics.median(values) for name, values in latencies.items()}


def _probe(site: Site, page: Page) -> tuple[int, list[tuple[str, Any, float]]]:
    with site.probing() as probe:
        site.get(page)
    return len(probe.statements), probe.statements


@contextlib.contextmanager
def sites(
    admin_url: str | None, scale: float, log: Callable[[str], None], *, use_cache: bool = True
) -> Iterator[tuple[Site, Site]]:
    """The small and the national database on one server, each served in-process."""
    with (
        postgres_server(admin_url) as server,
        national_database(server, scale=scale, small=True, log=log, use_cache=use_cache) as small,
        national_database(server, scale=scale, log=log, use_cache=use_cache) as national,
    ):
        yield open_site("small", small), open_site("national", national)


def measure(
    *,
    admin_url: str | None = None,
    scale: float = 1.0,
    rounds: int = 3,
    requests: int = 15,
    warm_up: int = 2,
    explain: bool = False,
    log: Callable[[str], None] | None = None,
) -> list[Comparison]:
    """One :class:`Comparison` per page (measured: national, baseline: small; ms), notes
    holding the statements per request on each database; with ``explain``, the EXPLAIN
    (ANALYZE) on the national database of each statement of the page that reads a large
    table whole (a sequential scan of one with over :data:`LARGE_TABLE` rows) or that
    touches many times the buffers it does on the small one, and of the heaviest statement
    of each page over :data:`LIMIT`, in the page's notes."""
    say = log or (lambda message: print(message, file=sys.stderr, flush=True))
    with sites(admin_url, scale, say) as (small, national):
        results = run_pages(small, national, rounds=rounds, requests=requests, warm_up=warm_up)
        comparisons = [_comparison(result) for result in results]
        if explain:
            for result, comparison in zip(results, comparisons, strict=True):
                plans = large_scans(national, result) + growing(small, national, result)
                if comparison.ratio > LIMIT:
                    plans.append(explain_heaviest(national, result))
                if plans:
                    comparison.notes["explain"] = "\n\n".join(dict.fromkeys(plans))
    return comparisons


def run_pages(
    small: Site, national: Site, *, rounds: int, requests: int, warm_up: int
) -> list[PageResult]:
    pages = pages_of(national.database.cast)
    results = []
    for page in pages:
        result = PageResult(page)
        for site in (small, national):
            mine = _same_page(page, site)
            check(site, mine)
            for _ in range(warm_up):
                site.get(mine)
            result.statements[site.name], result.sent[site.name] = _probe(site, mine)
            result.blocks[site.name] = [_blocks(site, item) for item in _reads(site, result)]
        results.append(result)
    for number in range(rounds):
        for result in results:
            medians = _round(small, national, result.page, requests, number)
            for name, median in medians.items():
                result.rounds[name].append(median)
    return results


def _same_page(page: Page, site: Site) -> Page:
    """``page`` as the same person sees it on ``site`` (ids differ between the databases)."""
    return next(p for p in pages_of(site.database.cast) if p.name == page.name)


def _comparison(result: PageResult) -> Comparison:
    name = result.page.name
    return Comparison(
        BENCHMARK,
        Series(f"{name}, national", "ms", tuple(result.rounds["national"])),
        Series(f"{name}, small", "ms", tuple(result.rounds["small"])),
        notes={
            "page": name,
            "statements small": str(result.statements["small"]),
            "statements national": str(result.statements["national"]),
            "blocks small": str(sum(result.blocks["small"])),
            "blocks national": str(sum(result.blocks["national"])),
        },
    )


def _reads(site: Site, result: PageResult) -> list[tuple[str, Any, float]]:
    return [
        item
        for item in result.sent[site.name]
        if item[0].lstrip().upper().startswith(("SELECT", "WITH"))
    ]


def _plan(site: Site, statement: str, parameters: Any, options: str) -> list[str]:
    from partnercontact.db import db

    with site.app.app_context(), db.engine.connect() as conn:
        rows = conn.exec_driver_sql(f"EXPLAIN ({options}) {statement}", parameters).all()
        conn.rollback()
    return [row[0] for row in rows]


def _analysed(site: Site, item: tuple[str, Any, float]) -> str:
    statement, parameters, took = item
    lines = "\n".join(_plan(site, statement, parameters, "ANALYZE, BUFFERS"))
    return f"{statement}\n-- {took * 1000:.1f} ms in the measured request\n{lines}"


def explain_heaviest(site: Site, result: PageResult) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of the reading statement of one request that touches the
    most buffers (its time alone is too much at the mercy of the machine to pick it by)."""
    reads = _reads(site, result)
    if not reads:
        return "no reading statement"
    blocks = result.blocks[site.name]
    heaviest = max(range(len(reads)), key=blocks.__getitem__)
    return f"-- {blocks[heaviest]} buffers here\n" + _analysed(site, reads[heaviest])


def _blocks(site: Site, item: tuple[str, Any, float]) -> int:
    """The shared buffers one reading statement touches (hit or read): unlike its time, the
    same on every run and machine, and what grows when a plan reads more as tables grow."""
    (line,) = _plan(site, item[0], item[1], "ANALYZE, BUFFERS, FORMAT JSON")
    document = json.loads(line) if isinstance(line, str) else line
    plan = document[0]["Plan"]
    return int(plan.get("Shared Hit Blocks", 0)) + int(plan.get("Shared Read Blocks", 0))


def growing(small: Site, national: Site, result: PageResult) -> list[str]:
    """EXPLAIN (ANALYZE, BUFFERS) on the national database of each reading statement of the
    page that touches over :data:`GROWTH` times the buffers it touches on the small one (and
    at least :data:`GROWTH_FLOOR` more): what makes the page's cost grow with the database."""
    mine, theirs = result.blocks[small.name], result.blocks[national.name]
    if len(mine) != len(theirs):
        return [f"{len(mine)} reading statements on the small database, {len(theirs)} here"]
    reads = _reads(national, result)
    return [
        f"-- {before} buffers on the small database, {after} here\n" + _analysed(national, item)
        for before, after, item in zip(mine, theirs, reads, strict=True)
        if after > GROWTH * before and after - before >= GROWTH_FLOOR
    ]


def large_scans(site: Site, result: PageResult) -> list[str]:
    """EXPLAIN (ANALYZE, BUFFERS) of each reading statement of one request whose plan reads
    a table of over :data:`LARGE_TABLE` rows from end to end."""
    from partnercontact.db import db

    with site.app.app_context(), db.engine.connect() as conn:
        sizes: dict[str, float] = dict(
            conn.exec_driver_sql(
                "SELECT relname, reltuples FROM pg_class WHERE relkind = 'r' AND reltuples > %s",
                (LARGE_TABLE,),
            ).all()
        )
    found = []
    for item in _reads(site, result):
        plan = _plan(site, item[0], item[1], "FORMAT TEXT")
        scanned = {m.group(1) for line in plan for m in [_SEQ_SCAN.search(line)] if m}
        if scanned & set(sizes):
            found.append(_analysed(site, item))
    return found


def table(comparisons: Sequence[Comparison]) -> str:
    """The Markdown table of the results: page, small ms, national ms, ratio and statements
    per request on each, with the limit it is held to."""
    lines = [
        "| page | small (ms) | national (ms) | ratio | statements small / national "
        f"| buffers small / national | within {LIMIT}× |",
        "| --- | ---: | ---: | ---: | ---: | ---: | :---: |",
    ]
    for comparison in comparisons:
        notes = comparison.notes
        small, national = comparison.baseline.median, comparison.measured.median
        statements = f"{notes['statements small']} / {notes['statements national']}"
        blocks = f"{notes['blocks small']} / {notes['blocks national']}"
        within = "yes" if comparison.ratio <= LIMIT else "no"
        lines.append(
            f"| {notes['page']} | {small:.1f} | {national:.1f} | {comparison.ratio:.2f} "
            f"| {statements} | {blocks} | {within} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=15)
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args()
    comparisons = measure(
        scale=args.scale, rounds=args.rounds, requests=args.requests, explain=args.explain
    )
    print_table(comparisons)
    print()
    print(table(comparisons))
    for comparison in comparisons:
        if "explain" in comparison.notes:
            print(f"\n### {comparison.notes['page']}\n\n```\n{comparison.notes['explain']}\n```")


if __name__ == "__main__":
    main()
