"""Clients for the load: threads on loopback speaking HTTP to gunicorn, and what they saw.

Each thread acts as one seeded person, through the API with the person's token and through
the pages with the person's session cookie. It runs operations picked from a weighted table
until its time or its count is up; every request has a timeout, so every thread stops by
itself. Every answer is checked against the status its operation should give; anything else
(another status, a timeout, a refused connection) is recorded with the operation's name and
ends that operation, never the thread.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import random
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from gunicorn.config import KNOWN_SETTINGS

from bench.common import ROOT, free_port
from partnercontact.policy import Role
from tests.load.world import ClinicWorld, Person

REQUEST_TIMEOUT = 30.0
API = "/api/v1"


@dataclass(frozen=True)
class Outcome:
    """One request: what it was part of, what came back, how long it took."""

    operation: str
    request: str
    status: int | None  # None: no answer (timeout, connection refused or reset)
    expected: bool
    seconds: float
    audited: bool
    problem: str | None = None


class Unexpected(Exception):
    """An answer the operation did not expect: recorded; the operation stops there."""


class Locks:
    """One lock per key, for operations that read a state and then change it (handling an
    escalation seen on a list): the load itself must not make two people race for one record,
    or the refusal the loser gets would be right and the test could not tell it from a bug."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[object, threading.Lock] = {}

    def of(self, key: object) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())


@dataclass
class Caller:
    """What an operation works with: one person, their clinic, and the requests made."""

    port: int
    person: Person
    clinic: ClinicWorld
    rng: random.Random
    locks: Locks
    today: date
    outcomes: list[Outcome] = field(default_factory=list)
    operation: str = ""
    # Records this thread made, for operations that continue on them.
    made: dict[str, list[Any]] = field(default_factory=dict)

    # --- requests -----------------------------------------------------------------------------

    def api(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        *,
        expect: int = 200,
        field: str | None = None,
        audited: bool = True,
        label: str | None = None,
    ) -> Any:
        """Call the API as the person's token; returns the decoded answer. ``field``: the field
        a refusal must name. ``audited``: a success writes at least one audit entry."""
        headers = {"Authorization": f"Bearer {self.person.token}", "Accept": "application/json"}
        payload = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            payload = json.dumps(body)
        status, text = self._send(method, API + path, headers, payload, expect, audited, label)
        answer = json.loads(text) if text else None
        if field is not None and (not isinstance(answer, dict) or answer.get("field") != field):
            self._fail(label or f"{method} {path}", status, f"refusal names {answer!r}")
        return answer

    def page(self, path: str, *, contains: str | None = None, audited: bool = False) -> str:
        """GET a page with the person's session cookie, as a browser tab does."""
        assert self.person.cookie is not None
        headers = {"Cookie": self.person.cookie}
        status, text = self._send("GET", path, headers, None, 200, audited, None)
        if contains is not None and contains not in text:
            self._fail(f"GET {path}", status, f"the page lacks {contains!r}")
        return text

    def _send(
        self,
        method: str,
        path: str,
        headers: dict[str, str],
        payload: str | None,
        expect: int,
        audited: bool,
        label: str | None,
    ) -> tuple[int, str]:
        request = label or f"{method} {path}"
        began = time.perf_counter()
        # A connection per request: gunicorn's sync workers close every one.
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT)
        try:
            conn.request(method, path, body=payload, headers=headers)
            response = conn.getresponse()
            text = response.read().decode("utf-8", "replace")
            status = response.status
        except (OSError, http.client.HTTPException) as exc:
            self._record(request, None, False, began, audited, f"{type(exc).__name__}: {exc}")
            raise Unexpected(request) from exc
        finally:
            conn.close()
        ok = status == expect
        self._record(request, status, ok, began, audited, None if ok else text[:300])
        if not ok:
            raise Unexpected(request)
        return status, text

    def _record(
        self,
        request: str,
        status: int | None,
        expected: bool,
        began: float,
        audited: bool,
        problem: str | None,
    ) -> None:
        seconds = time.perf_counter() - began
        self.outcomes.append(
            Outcome(self.operation, request, status, expected, seconds, audited, problem)
        )

    def _fail(self, request: str, status: int, problem: str) -> None:
        # The request itself was recorded as expected: replace it by the failure.
        last = self.outcomes.pop()
        self.outcomes.append(
            Outcome(self.operation, request, status, False, last.seconds, last.audited, problem)
        )
        raise Unexpected(request)

    # --- what the operations work on -----------------------------------------------------------

    def pick(self, items: list[Any]) -> Any:
        return self.rng.choice(items)

    def my_clients(self, with_case: bool | None = None) -> list[Any]:
        return [
            client_id
            for client_id, linked in self.clinic.clients[self.person.user_id]
            if with_case is None or linked == with_case
        ]

    def my_cases(self) -> list[Any]:
        return self.clinic.cases[self.person.user_id]


@dataclass(frozen=True)
class Operation:
    """A row of the mix: who does it, how often relative to that role's other operations."""

    name: str
    role: Role
    weight: int
    run: Callable[[Caller], None]


@dataclass
class Report:
    outcomes: list[Outcome]
    seconds: float

    @property
    def failures(self) -> list[Outcome]:
        return [outcome for outcome in self.outcomes if not outcome.expected]

    @property
    def audited_successes(self) -> int:
        return sum(1 for o in self.outcomes if o.expected and o.audited and o.status is not None)

    def by_operation(self) -> Counter[tuple[str, str]]:
        return Counter(
            (o.operation, "no answer" if o.status is None else str(o.status)) for o in self.outcomes
        )

    def summary(self) -> str:
        lines = [f"{len(self.outcomes)} requests in {self.seconds:.1f} s"]
        lines.append(f"{'operation':32} {'status':>10} {'count':>7}")
        for (operation, status), count in sorted(self.by_operation().items()):
            lines.append(f"{operation:32} {status:>10} {count:>7}")
        return "\n".join(lines)

    def failure_summary(self, limit: int = 15) -> str:
        failed = Counter(
            (o.operation, o.request, "no answer" if o.status is None else str(o.status))
            for o in self.failures
        )
        lines = [f"{len(self.failures)} unexpected answers:"]
        lines += [f"  {count:5} x {op}: {req} -> {status}" for (op, req, status), count in
                  failed.most_common()]  # fmt: skip
        lines.append("first problems:")
        lines += [f"  {o.operation}: {o.request} -> {o.status}: {o.problem}"
                  for o in self.failures[:limit]]  # fmt: skip
        return "\n".join(lines)

    def latency_table(self) -> str:
        answered = [o for o in self.outcomes if o.status is not None]
        lines = [
            f"throughput {len(answered) / self.seconds:.1f} requests/s over {self.seconds:.1f} s",
            f"{'operation':32} {'n':>6} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'max ms':>8}",
        ]
        groups: dict[str, list[float]] = {"(all)": [o.seconds for o in answered]}
        for outcome in answered:
            groups.setdefault(outcome.operation, []).append(outcome.seconds)
        for name, seconds in sorted(groups.items()):
            ordered = sorted(seconds)
            lines.append(
                f"{name:32} {len(ordered):6} "
                + " ".join(f"{_percentile(ordered, share):8.0f}" for share in (0.5, 0.9, 0.99))
                + f" {ordered[-1] * 1000:8.0f}"
            )
        return "\n".join(lines)


def _percentile(ordered: list[float], share: float) -> float:
    index = min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))
    return ordered[index] * 1000


def run_operations(
    callers: list[Caller],
    table: list[Operation],
    *,
    seconds: float,
    max_operations: int,
    at_half_time: Callable[[], None] | None = None,
) -> Report:
    """Every caller in a thread of its own, running operations of its role picked by weight
    until ``seconds`` have passed or it ran ``max_operations``. ``at_half_time`` runs in the
    calling thread half way through."""
    start = time.monotonic()
    stop = start + seconds

    def work(caller: Caller) -> None:
        mine = [operation for operation in table if operation.role == caller.person.role]
        weights = [operation.weight for operation in mine]
        for _ in range(max_operations):
            if time.monotonic() >= stop:
                break
            operation = caller.rng.choices(mine, weights)[0]
            caller.operation = operation.name
            with contextlib.suppress(Unexpected):
                operation.run(caller)

    threads = [
        threading.Thread(target=work, args=(caller,), name=f"load-{index}", daemon=True)
        for index, caller in enumerate(callers)
    ]
    for thread in threads:
        thread.start()
    if at_half_time is not None:
        time.sleep(max(0.0, start + seconds / 2 - time.monotonic()))
        at_half_time()
    # Each request times out, so each thread ends soon after the stop; the join is bounded
    # all the same.
    for thread in threads:
        thread.join(timeout=seconds + 4 * REQUEST_TIMEOUT)
    elapsed = time.monotonic() - start
    alive = [thread.name for thread in threads if thread.is_alive()]
    assert not alive, f"client threads still running after the join: {alive}"
    return Report([outcome for caller in callers for outcome in caller.outcomes], elapsed)


def run_each_once(callers: list[Caller], table: list[Operation]) -> Report:
    """Every operation once, alone, by the first caller of its role."""
    start = time.monotonic()
    outcomes: list[Outcome] = []
    for operation in table:
        caller = next(c for c in callers if c.person.role == operation.role)
        caller.operation = operation.name
        before = len(caller.outcomes)
        with contextlib.suppress(Unexpected):
            operation.run(caller)
        outcomes += caller.outcomes[before:]
        del caller.outcomes[before:]
    return Report(outcomes, time.monotonic() - start)


# --- gunicorn ---------------------------------------------------------------------------------


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    def begin_stopping(self) -> None:
        """SIGTERM, as systemd stops it; the master takes a while to exit after its
        workers, which need not hold up what comes next."""
        self.process.terminate()

    def wait_until_served(self) -> int:
        """Until /healthz answers 200 (the port opens when the master binds it, the workers
        import the app after that); returns the port."""
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(
                    f"gunicorn exited with {self.process.returncode}:\n{self.log.read_text()}"
                )
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
            try:
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    return self.port
            except (OSError, http.client.HTTPException):
                pass
            finally:
                conn.close()
            time.sleep(0.2)
        raise AssertionError(f"gunicorn did not answer /healthz in 90 s:\n{self.log.read_text()}")


@contextlib.contextmanager
def gunicorn(env: dict[str, str], workers: int, log: Path) -> Iterator[Server]:
    """The app served as in production (config/partnercontact-web.example.service: sync
    workers, no preload) on a free loopback port, for the duration; stopped as systemd stops
    it (SIGTERM, then SIGKILL). Its log (errors, the app's own) goes to ``log``."""
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "--workers", str(workers)]
    command += ["--worker-class", "sync", "--bind", f"127.0.0.1:{port}"]
    command += ["--timeout", "60", "--graceful-timeout", "30", *_no_control_socket()]
    command += ["partnercontact.wsgi:app"]
    with log.open("w") as output:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=output)
        try:
            yield Server(process, port, log)
        finally:
            process.terminate()
            try:
                process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _no_control_socket() -> list[str]:
    # gunicorn 27 listens on ~/.gunicorn/gunicorn.ctl by default: one path for every gunicorn
    # of the user, which two runs at once would take from each other. Nothing here uses it.
    if any(setting.name == "control_socket_disable" for setting in KNOWN_SETTINGS):
        return ["--no-control-socket"]
    return []
