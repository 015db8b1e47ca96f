"""Every benchmark in one run, written to ``bench/RESULTS.md`` as one table, with a section
for each page benchmark (p50, p99 and throughput of every page and baseline, and the ratios).

Started by ``bench/run``, which provides PostgreSQL through ``PCBENCH_PG_ADMIN_URL`` and
installs wrk; run directly, it starts a throwaway cluster of its own. The settings below keep
the whole run near ten minutes on two cores (the national-scale database of the staff pages
is built on the first run, then restored from its cache): enough rounds for a median, a
lowest and a highest value, each round short. A benchmark that fails is reported in the file
and the run exits non-zero.

    .venv/bin/python -m bench.suite [--output bench/RESULTS.md]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

from bench import (
    audit_verify,
    case_page,
    messaging,
    pages,
    portal,
    scheduling,
    staff_pages,
    web_with_worker,
    worker_lock,
)
from bench.common import (
    ROOT,
    TABLE_METRICS,
    BenchError,
    Comparison,
    HttpRun,
    postgres_server,
    server_version,
)

CASE_PAGE: dict[str, Any] = {"rounds": 3, "seconds": 5.0, "clients": 16, "workers": 2}
STAFF_PAGES: dict[str, Any] = {"rounds": 3, "seconds": 4.0, "clients": 16, "workers": 2}
WEB_WITH_WORKER: dict[str, Any] = {
    "rounds": 3,
    # Long enough for the batch to finish within its round: the worker runs at a lower CPU
    # priority than the web service, as deployed, so it takes longer while pages are served.
    "seconds": 9.0,
    "clients": 16,
    "workers": 2,
    "reminders": 100,
}
MESSAGING: dict[str, Any] = {"rounds": 3, "letters": 6, "messages": 60}
PORTAL: dict[str, Any] = {"rounds": 3, "seconds": 4.0, "clients": 4, "workers": 2}
SCHEDULING: dict[str, Any] = {"rounds": 3, "tasks": 300, "cases": 5, "batch_size": 100}
# The size of a national provider's log after some years.
AUDIT_VERIFY: dict[str, Any] = {"rounds": 3, "rows": 2_000_000}
# Restored from bench.national's cache when it has the current schema, else built (minutes).
PAGES: dict[str, Any] = {"rounds": 3, "requests": 15}
WORKER_LOCK: dict[str, Any] = {"rounds": 3, "reminders": 100}


@dataclass
class Outcome:
    """What one benchmark gave: its comparisons, or the error that stopped it."""

    name: str
    module: str
    settings: dict[str, Any]
    seconds: float = 0.0
    comparisons: list[Comparison] = field(default_factory=list)
    error: str | None = None
    # A page benchmark's whole run, for its section of the file.
    http_run: HttpRun | None = None


def _run(benchmark: ModuleType, settings: dict[str, Any], action: Callable[[], Any]) -> Outcome:
    name = benchmark.BENCHMARK
    print(f"== {name} ({_settings(settings)})", file=sys.stderr, flush=True)
    outcome = Outcome(name, benchmark.__name__, settings)
    started = time.monotonic()
    try:
        result = action()
    except Exception as exc:  # a failed benchmark is reported; the others still run
        traceback.print_exc()
        outcome.error = f"{type(exc).__name__}: {exc}"
    else:
        if isinstance(result, HttpRun):
            outcome.http_run = result
            if result.errors:
                outcome.error = f"{result.errors} requests failed, e.g. {result.first_error}"
            else:
                outcome.comparisons = result.comparisons()
        else:
            outcome.comparisons = list(result)
    outcome.seconds = time.monotonic() - started
    print(f"   took {outcome.seconds:.0f} s", file=sys.stderr, flush=True)
    return outcome


def _settings(settings: dict[str, Any]) -> str:
    return ", ".join(f"{key.replace('_', ' ')} {value}" for key, value in settings.items())


# --- the machine ----------------------------------------------------------------------------------


def _first_line_with(path: str, prefix: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                if line.startswith(prefix):
                    return line.split(":", 1)[1].strip() if ":" in line else line
    except OSError:
        return None
    return None


def load_average() -> str:
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


def machine(admin_url: str) -> list[tuple[str, str]]:
    memory = _first_line_with("/proc/meminfo", "MemTotal")
    gib = f"{int(memory.split()[0]) / 1024**2:.1f} GiB" if memory else "unknown"
    os_name = "unknown"
    release = _first_line_with("/etc/os-release", "PRETTY_NAME=")
    if release:
        os_name = release.split("=", 1)[1].strip().strip('"')
    return [
        ("CPUs (nproc)", str(len(os.sched_getaffinity(0)))),
        ("CPU model", _first_line_with("/proc/cpuinfo", "model name") or platform.processor()),
        ("memory", gib),
        ("OS", f"{os_name}, Linux {platform.release()}"),
        ("Python", f"{platform.python_implementation()} {platform.python_version()}"),
        ("PostgreSQL", server_version(admin_url)),
        ("load average at start (1, 5, 15 min)", load_average()),
    ]


# --- the file -------------------------------------------------------------------------------------


def _number(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}".replace(",", " ")
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def _ratio(value: float) -> str:
    return f"{value:.3g}"


def _table(outcomes: list[Outcome]) -> list[str]:
    lines = [
        "| benchmark | unit | median | min | max | ratio to baseline |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for outcome in outcomes:
        if outcome.error:
            lines.append(f"| {outcome.name}: **failed** ({outcome.error}) | | | | | |")
            continue
        shown: set[int] = set()
        for comparison in outcome.comparisons:
            for series, ratio in (
                (comparison.baseline, None),
                (comparison.measured, comparison.ratio),
            ):
                if id(series) in shown:
                    continue
                shown.add(id(series))
                name = f"{outcome.name}: {series.name}"
                lines.append(
                    f"| {name if ratio is not None else f'*{name}*'} | {series.unit} | "
                    f"{_number(series.median)} | {_number(series.low)} | {_number(series.high)} | "
                    f"{'baseline' if ratio is None else _ratio(ratio)} |"
                )
    return lines


_HEADINGS = {
    "p50 latency": "p50 latency (ms)",
    "p99 latency": "p99 latency (ms)",
    "throughput": "throughput (req/s)",
}


def _national_section(outcome: Outcome) -> list[str]:
    if outcome.module != pages.__name__ or outcome.error:
        return []
    return [
        "## Staff pages on a national-scale database",
        "",
        "Each staff page as its usual user sees it, in-process on the real app (production "
        "mode, PostgreSQL), on a national-scale database (20 clinics, 5,000 cases, some 52,000 "
        "sessions, 2,000,000 audit rows; `python -m bench.national`) and on a small one (one "
        "clinic) where the same people hold the same amount of their own data; requests "
        "alternate between the two. Milliseconds are medians of the rounds; statements are "
        "those one request sends; buffers are the shared buffers its reading statements touch "
        "(from EXPLAIN ANALYZE).",
        "",
        pages.table(outcome.comparisons),
        "",
    ]


def _http_section(outcome: Outcome) -> list[str]:
    """A page benchmark's medians, each page's ratio to each baseline, and how many requests
    were served."""
    run = outcome.http_run
    if run is None or outcome.error:
        return []
    lines = [
        f"## {run.title}",
        "",
        f"{run.about} {len(run.pages[0].rounds)} rounds of {run.seconds:g} s each; medians of "
        f"the rounds, baselines in italics:",
        "",
        "| | " + " | ".join(_HEADINGS[metric] for metric in TABLE_METRICS) + " |",
        "| --- |" + " ---: |" * len(TABLE_METRICS),
    ]
    for endpoint in run.endpoints:
        is_baseline = any(endpoint is b for b in run.baselines)
        name = f"*{endpoint.name}*" if is_baseline else endpoint.name
        values = [_number(run.series(endpoint, metric).median) for metric in TABLE_METRICS]
        lines.append(f"| {name} | " + " | ".join(values) + " |")
    for page in run.pages:
        for baseline in run.baselines:
            ratios = [_ratio(run.ratio(page, baseline, metric)) for metric in TABLE_METRICS]
            lines.append(f"| ratio, {page.name} / {baseline.name} | " + " | ".join(ratios) + " |")
    served = ", ".join(f"{endpoint.served} {endpoint.name}" for endpoint in run.endpoints)
    lines += ["", f"Served without error: {served}.", ""]
    lines += [f"- {key}: {value}" for key, value in run.notes.items()]
    return [*lines, ""] if run.notes else lines


def write(
    path: Path,
    outcomes: list[Outcome],
    about: list[tuple[str, str]],
    started: datetime,
    finished: datetime,
) -> None:
    total = (finished - started).total_seconds()
    lines = [
        "# Benchmark results",
        "",
        f"Written by `bench/run` on {started:%Y-%m-%d at %H:%M} UTC; the run took "
        f"{total / 60:.1f} minutes.",
        "",
        "| machine | |",
        "| --- | --- |",
        *(f"| {key} | {value} |" for key, value in about),
        "",
        "Each benchmark measures its baseline in the same run, on the same machine, rounds "
        "alternating between the two. The ratio is the row's median over its baseline's median "
        "(baselines in italics): for rates (req/s, per s, tasks/s) above 1 is faster than the "
        "baseline, for latencies (ms) above 1 is slower. Compare ratios between runs, not "
        "absolute numbers; on a machine shared with other work the absolute numbers move most.",
        "",
        "The page benchmarks (case page, staff pages, web page with the worker) load pages with "
        "wrk, a C load generator, over loopback: one connection per client, each logged in "
        "beforehand as staff do (password and TOTP code) and sending its session cookie; "
        "gunicorn's sync workers close each connection after its answer, so every request "
        "opens a new one. A request counts as served only if it answered 200 with a text that "
        "proves it the page asked for. Their table rows compare with the bare read-plus-insert "
        "endpoint (a bare Flask + SQLAlchemy app on the same database reading one row, "
        "inserting one and committing: the shape of an audited read), or for the web page with "
        "the worker, with the same page while the worker is idle; each has a section below "
        "with p50, p99 and throughput, and every ratio.",
        "",
        *_table(outcomes),
        "",
    ]
    for outcome in outcomes:
        lines += _http_section(outcome)
        lines += _national_section(outcome)
    lines += [
        "## Settings",
        "",
        *(
            f"- {outcome.name} (`python -m {outcome.module}`): "
            f"{_settings(outcome.settings)}; took {outcome.seconds:.0f} s"
            for outcome in outcomes
        ),
        "",
    ]
    path.write_text("\n".join(lines), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "RESULTS.md")
    args = parser.parse_args()
    started = datetime.now(UTC)
    with postgres_server() as admin_url:
        about = machine(admin_url)
        outcomes = [
            _run(case_page, CASE_PAGE, lambda: case_page.measure(admin_url=admin_url, **CASE_PAGE)),
            _run(
                staff_pages,
                STAFF_PAGES,
                lambda: staff_pages.measure(admin_url=admin_url, **STAFF_PAGES),
            ),
            _run(
                web_with_worker,
                WEB_WITH_WORKER,
                lambda: web_with_worker.measure(admin_url=admin_url, **WEB_WITH_WORKER),
            ),
            _run(messaging, MESSAGING, lambda: messaging.measure(**MESSAGING)),
            _run(portal, PORTAL, lambda: portal.measure(admin_url=admin_url, **PORTAL)),
            _run(
                scheduling,
                SCHEDULING,
                lambda: scheduling.measure(admin_url=admin_url, **SCHEDULING),
            ),
            _run(pages, PAGES, lambda: pages.measure(admin_url=admin_url, **PAGES)),
            _run(
                audit_verify,
                AUDIT_VERIFY,
                lambda: audit_verify.measure(admin_url=admin_url, **AUDIT_VERIFY),
            ),
            _run(
                worker_lock,
                WORKER_LOCK,
                lambda: worker_lock.measure(admin_url=admin_url, **WORKER_LOCK),
            ),
        ]
    about.append(("load average at end (1, 5, 15 min)", load_average()))
    write(args.output, outcomes, about, started, datetime.now(UTC))
    print(f"wrote {args.output}", file=sys.stderr)
    failed = [outcome.name for outcome in outcomes if outcome.error]
    if failed:
        raise BenchError(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
