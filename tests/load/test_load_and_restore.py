"""Load and backup: the service under 64 concurrent clients answers every request as it
should, keeps an intact audit log, and a dump taken under that load restores into a database
whose audit log verifies and whose every sealed value decrypts with the key file, and with
no other key file.

Production's shape on one machine: gunicorn with sync workers (config/
partnercontact-web.example.service) in production mode on PostgreSQL, the clients on
loopback. The operations are one table (OPERATIONS): every role, the API with personal tokens
and the pages with session cookies, reads and writes, and a few writes made invalid on
purpose whose refusal is part of what is checked. Throughput and latency are printed, never
asserted: the machine is shared.
"""

from __future__ import annotations

import random
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.pool import NullPool

from bench.common import clean_environment, log_in
from partnercontact.crypto.keyfile import generate_key_file
from partnercontact.i18n import compile_catalogues
from partnercontact.policy import Role
from tests.load.conftest import Databases
from tests.load.traffic import Caller, Locks, Operation, gunicorn, run_each_once
from tests.load.traffic import run_operations as run_load
from tests.load.world import World, seed
from tests.ratings import rated

pytestmark = pytest.mark.load

CLIENTS = 64
SECONDS = 60.0
# Far more than a thread can run in SECONDS: the clock is what stops them.
MAX_OPERATIONS_PER_CLIENT = 5_000
GUNICORN_WORKERS = 4
# How the 64 clients are shared between the roles; each role's clients are spread over its
# accounts, several clients per account (an integration and a few browser tabs).
CLIENTS_PER_ROLE = {
    Role.CLIENT_TREATER: 22,
    Role.PARTNER_TREATER: 22,
    Role.MANAGER: 12,
    Role.ADMIN: 8,
}
PROCESS_TIMEOUT = 120


def _today() -> date:
    return datetime.now(UTC).date()


# --- the client's treater --------------------------------------------------------------------


PARTNER_DETAILS = {
    "partner_name": "Vera Påhittad",
    "partner_phone": "070-111 22 33",
    "partner_address": "Gränden 4\n123 45 Lindvik",
    "relation": "former",
    "children_in_common": "no",
}


def list_clients(c: Caller) -> None:
    c.api("GET", "/clients")


def open_client(c: Caller) -> None:
    c.api("GET", f"/clients/{c.pick(c.my_clients())}")


def client_consents(c: Caller) -> None:
    c.api("GET", f"/clients/{c.pick(c.my_clients())}/consents")


def client_sessions(c: Caller) -> None:
    c.api("GET", f"/clients/{c.pick(c.my_clients())}/sessions")


def record_attendance(c: Caller) -> None:
    # Runs of missed sessions on a handed-over client reach the partner side as events.
    attendance = c.pick(["attended", "attended", "cancelled", "missed"])
    body = {"held_on": (_today() - timedelta(days=1)).isoformat(), "attendance": attendance}
    c.api("POST", f"/clients/{c.pick(c.my_clients())}/sessions", body, expect=201)


def register_client_with_consent(c: Caller) -> None:
    number = c.rng.randrange(10**6)
    client = c.api(
        "POST",
        "/clients",
        {"name": f"Kalle Lastsson {number}", "phone": "0701234567", "language": "sv"},
        expect=201,
    )
    c.api(
        "POST",
        f"/clients/{client['id']}/consents",
        {
            "language": "sv",
            "scopes": ["contact_letter", "contact_sms", "tell_when_ended"],
            "place": "Lindvik",
            "signed_on": _today().isoformat(),
            "attested_details_given": True,
        },
        expect=201,
        label="POST /clients/{new}/consents",
    )


def correct_handed_over_details(c: Caller) -> None:
    client_id = c.pick(c.my_clients(with_case=True))
    c.api("POST", f"/clients/{client_id}/handover", PARTNER_DETAILS, expect=201)


def attendance_in_the_future(c: Caller) -> None:
    """Invalid on purpose: a session cannot have been held next month."""
    body = {"held_on": (_today() + timedelta(days=30)).isoformat(), "attendance": "attended"}
    client_id = c.pick(c.my_clients())
    c.api(
        "POST", f"/clients/{client_id}/sessions", body, expect=400, field="held_on", audited=False
    )


def client_side_pages(c: Caller) -> None:
    c.page("/client/")
    c.page(f"/client/{c.pick(c.my_clients())}")


# --- the partner-contact treater ---------------------------------------------------------------


def partner_inbox(c: Caller) -> None:
    c.api("GET", "/partner-cases")


def open_partner_case(c: Caller) -> None:
    c.api("GET", f"/partner-cases/{c.pick(c.my_cases())}")


def partner_case_sessions(c: Caller) -> None:
    c.api("GET", f"/partner-cases/{c.pick(c.my_cases())}/sessions")


def relay_inbox(c: Caller) -> None:
    c.api("GET", "/partner-cases/relay-events")


def calendar(c: Caller) -> None:
    c.api("GET", "/calendar", audited=False)


def add_book_and_cancel_session(c: Caller) -> None:
    case = f"/partner-cases/{c.pick(c.my_cases())}"
    week = _today() + timedelta(days=7)
    added = c.api("POST", f"{case}/sessions", {"due_on": week.isoformat()}, expect=201)
    sessions = f"{case}/sessions/{added['id']}"
    day = week + timedelta(days=c.rng.randrange(14))
    booking = {"day": day.isoformat(), "time": "10:00", "minutes": 60, "channel": "meeting"}
    c.api("POST", f"{sessions}/book", booking, label="POST /partner-cases/{id}/sessions/{new}/book")
    c.api("POST", f"{sessions}/cancel", label="POST /partner-cases/{id}/sessions/{new}/cancel")


def record_risk_assessment(c: Caller) -> None:
    assessed = _today() - timedelta(days=1)
    instrument = c.pick(["freda_danger", "sara", "sam"])
    body = {
        "instrument": instrument,
        "ratings": rated(instrument),
        "assessed_on": assessed.isoformat(),
        "level": c.pick(["low", "moderate"]),
        "next_review_on": (assessed + timedelta(days=60)).isoformat(),
        "notes": "Inga nya hot sedan förra samtalet.",
    }
    c.api("POST", f"/partner-cases/{c.pick(c.my_cases())}/risk-assessments", body, expect=201)


def save_safety_plan(c: Caller) -> None:
    body = {"content": f"Väska packad hos syster; kodord nummer {c.rng.randrange(100)}."}
    c.api("POST", f"/partner-cases/{c.pick(c.my_cases())}/safety-plan", body, expect=201)


def review_before_assessment(c: Caller) -> None:
    """Invalid on purpose: the next review cannot come before the assessment."""
    assessed = _today() - timedelta(days=1)
    body = {
        "instrument": "sara",
        "ratings": rated("sara"),
        "assessed_on": assessed.isoformat(),
        "level": "low",
        "next_review_on": (assessed - timedelta(days=1)).isoformat(),
    }
    c.api(
        "POST",
        f"/partner-cases/{c.pick(c.my_cases())}/risk-assessments",
        body,
        expect=400,
        field="next_review_on",
        audited=False,
    )


def record_relay_outcome(c: Caller) -> None:
    # The person's own clients share one inbox: one outcome at a time per person, so that
    # no two of them answer the same event.
    with c.locks.of(("relay", c.person.user_id)):
        inbox = c.api("GET", "/partner-cases/relay-events")
        waiting = [event for event in inbox["events"] if event["open"]]
        if not waiting:
            return
        event = c.pick(waiting)
        on = event["occurred_on"]
        c.api(
            "POST",
            f"/partner-cases/{event['case_id']}/relay-events/{event['id']}/outcomes",
            {"outcome": c.pick(["informed_phone", "not_wanted"]), "outcome_on": on},
            expect=201,
            label="POST /partner-cases/{id}/relay-events/{id}/outcomes",
        )


def escalate_case(c: Caller) -> None:
    case_id = c.pick(c.my_cases())
    # One open escalation per reason and case: look first, under the case's lock.
    with c.locks.of(("case", case_id)):
        case = c.api("GET", f"/partner-cases/{case_id}")
        if any(
            entry["reason"] == "risk_consultation" and entry["handled_at"] is None
            for entry in case["escalations"]
        ):
            return
        c.api(
            "POST", f"/partner-cases/{case_id}/escalations", {"reason": "risk_consultation"},
            expect=201,
        )  # fmt: skip


def partner_side_pages(c: Caller) -> None:
    c.page("/partner/")
    c.page(f"/partner/cases/{c.pick(c.my_cases())}")


# --- the manager ---------------------------------------------------------------------------------


def statistics(c: Caller) -> None:
    c.api("GET", "/management/statistics")


def statistics_for_no_period(c: Caller) -> None:
    """Invalid on purpose: there is no thirteenth month."""
    c.api("GET", "/management/statistics?period=2026-13", expect=400, field="period", audited=False)


def consent_register(c: Caller) -> None:
    c.api("GET", "/management/consents")


def consent_in_register(c: Caller) -> None:
    c.api("GET", f"/management/consents/{c.pick(c.clinic.consents)}")


def manager_tasks(c: Caller) -> None:
    c.api("GET", "/management/tasks")


def handle_escalation(c: Caller) -> None:
    # The clinic's managers work one list: one handles at a time.
    with c.locks.of(("escalations", c.clinic.index)):
        tasks = c.api("GET", "/management/tasks")
        waiting = [task for task in tasks if task["kind"] == "escalation"]
        if not waiting:
            return
        c.api(
            "POST",
            f"/management/escalations/{c.pick(waiting)['id']}/handle",
            {"outcome": c.pick(["consulted", "no_action"])},
            label="POST /management/escalations/{id}/handle",
        )


def management_pages(c: Caller) -> None:
    c.page(c.pick(["/management/statistics", "/management/consents", "/management/access-log"]))


# --- the administrator ---------------------------------------------------------------------------


def admin_pages(c: Caller) -> None:
    c.page(c.pick(["/admin/users", "/admin/clinic", "/admin/tasks", "/messages/stop"]))


def admin_user_page(c: Caller) -> None:
    c.page(f"/admin/users/{c.pick(c.clinic.people).user_id}")


# One row per operation: add new ones here. Weights are relative within a role.
OPERATIONS = [
    Operation("clients.list", Role.CLIENT_TREATER, 4, list_clients),
    Operation("clients.get", Role.CLIENT_TREATER, 4, open_client),
    Operation("clients.consents", Role.CLIENT_TREATER, 2, client_consents),
    Operation("clients.sessions", Role.CLIENT_TREATER, 2, client_sessions),
    Operation("clients.attendance", Role.CLIENT_TREATER, 4, record_attendance),
    Operation("clients.register+consent", Role.CLIENT_TREATER, 1, register_client_with_consent),
    Operation("clients.handover", Role.CLIENT_TREATER, 1, correct_handed_over_details),
    Operation("clients.attendance-future", Role.CLIENT_TREATER, 1, attendance_in_the_future),
    Operation("pages.client-side", Role.CLIENT_TREATER, 2, client_side_pages),
    Operation("partner.inbox", Role.PARTNER_TREATER, 3, partner_inbox),
    Operation("partner.case", Role.PARTNER_TREATER, 4, open_partner_case),
    Operation("partner.sessions", Role.PARTNER_TREATER, 2, partner_case_sessions),
    Operation("partner.relay-inbox", Role.PARTNER_TREATER, 2, relay_inbox),
    Operation("partner.calendar", Role.PARTNER_TREATER, 1, calendar),
    Operation("partner.session-book", Role.PARTNER_TREATER, 2, add_book_and_cancel_session),
    Operation("partner.risk", Role.PARTNER_TREATER, 1, record_risk_assessment),
    Operation("partner.safety-plan", Role.PARTNER_TREATER, 1, save_safety_plan),
    Operation("partner.relay-outcome", Role.PARTNER_TREATER, 1, record_relay_outcome),
    # Raising an escalation locks the case row; the audit chain's lock comes last, at the
    # commit, so it cannot deadlock with the other writes on the case.
    Operation("partner.escalate", Role.PARTNER_TREATER, 1, escalate_case),
    Operation("partner.risk-invalid", Role.PARTNER_TREATER, 1, review_before_assessment),
    Operation("pages.partner-side", Role.PARTNER_TREATER, 2, partner_side_pages),
    Operation("management.statistics", Role.MANAGER, 2, statistics),
    Operation("management.register", Role.MANAGER, 2, consent_register),
    Operation("management.consent", Role.MANAGER, 2, consent_in_register),
    Operation("management.tasks", Role.MANAGER, 2, manager_tasks),
    Operation("management.handle", Role.MANAGER, 1, handle_escalation),
    Operation("management.bad-period", Role.MANAGER, 1, statistics_for_no_period),
    Operation("pages.management", Role.MANAGER, 2, management_pages),
    Operation("pages.admin", Role.ADMIN, 3, admin_pages),
    Operation("pages.admin-user", Role.ADMIN, 1, admin_user_page),
]


# --- processes -------------------------------------------------------------------------------


def _pg_tool(name: str) -> str:
    newest_first = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True,
                          key=lambda path: int(path.parts[-3]))  # fmt: skip
    if newest_first:
        return str(newest_first[0])
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is missing: install Debian's postgresql-client")
    return path


def _libpq(url: str) -> str:
    """A SQLAlchemy URL as libpq (pg_dump, pg_restore) reads it."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _environment(url: str, key_file: Path, instance: Path) -> dict[str, str]:
    """Production's settings, as an operator's environment file would give them."""
    return {
        **clean_environment(),
        "PARTNERCONTACT_MODE": "production",
        "PARTNERCONTACT_AUTH__SECOND_FACTOR": "required",
        "PARTNERCONTACT_SERVER__PUBLIC_URL": "https://partnercontact.example.org",
        "PARTNERCONTACT_PORTAL__PUBLIC_URL": "https://portal.example.org",
        "PARTNERCONTACT_DATABASE__URL": url,
        "PARTNERCONTACT_KEYS__FILE": str(key_file),
        "PARTNERCONTACT_INSTANCE_PATH": str(instance),
        "PARTNERCONTACT_WORKER__EMBEDDED": "false",
    }


def _command(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "partnercontact.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT,
    )


def _audit_rows(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(text("SELECT count(*) FROM audit_event")))


def _deadlocks(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(
            conn.scalar(
                text("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
            )
        )


# --- the test ------------------------------------------------------------------------------------


def _callers(port: int, world: World) -> list[Caller]:
    locks = Locks()
    callers = []
    for role, count in CLIENTS_PER_ROLE.items():
        people = [p for p in world.people if p.role == role]
        for number in range(count):
            person = people[number % len(people)]
            callers.append(
                Caller(
                    port=port,
                    person=person,
                    clinic=world.clinics[person.clinic],
                    rng=random.Random(len(callers)),
                    locks=locks,
                    today=_today(),
                )
            )
    assert len(callers) == CLIENTS
    return callers


def _check_each_operation(callers: list[Caller], engine: Engine) -> None:
    """Each operation once, alone, before the load: that it answers as the table says, and
    that every request it counts as audited adds to the audit log."""
    problems = []
    for operation in OPERATIONS:
        before = _audit_rows(engine)
        report = run_each_once(callers, [operation])
        grown = _audit_rows(engine) - before
        if report.failures:
            problems.append(report.failure_summary(limit=3))
        elif grown < report.audited_successes:
            problems.append(
                f"{operation.name}: {report.audited_successes} audited requests, "
                f"audit log grew by {grown}"
            )
    assert not problems, "\n".join(problems)


def test_load_backup_under_load_and_restore(
    load_database: str, load_key_file: Path, databases: Databases, tmp_path: Path
) -> None:
    began = time.monotonic()
    instance = tmp_path / "instance"
    # Compiled before the workers start: each worker compiles missing catalogues at start-up
    # through one temporary file name, and four at once trip over each other's (a worker then
    # fails to boot and gunicorn stops).
    compile_catalogues(instance / "translations")
    env = _environment(load_database, load_key_file, instance)
    dump = tmp_path / "under-load.dump"
    head = tmp_path / "head.json"
    server_log = tmp_path / "gunicorn.log"
    counting = create_engine(load_database, poolclass=NullPool)
    dumping: list[subprocess.Popen[bytes]] = []

    def back_up() -> None:
        with counting.connect() as conn:
            waiting, held = conn.execute(
                text(
                    "SELECT count(*) FILTER (WHERE NOT granted), count(*) FILTER (WHERE granted) "
                    "FROM pg_locks WHERE locktype = 'advisory'"
                )
            ).one()
        print(f"\nhalf way: audit chain lock held by {held}, awaited by {waiting}")
        # As the operator's guide says: the chain's head first, then the dump.
        exported = _command(env, "audit", "head", "--output", str(head))
        assert exported.returncode == 0, exported.stdout + exported.stderr
        dumping.append(
            subprocess.Popen(
                [_pg_tool("pg_dump"), "--format=custom", f"--file={dump}",
                 f"--dbname={_libpq(load_database)}"],
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
        )  # fmt: skip

    with gunicorn(env, GUNICORN_WORKERS, server_log) as server:
        # The workers boot while the clinics are built: they need the schema, not the data.
        world = seed(load_database, load_key_file, instance)
        seeded = time.monotonic() - began
        port = server.wait_until_served()
        with ThreadPoolExecutor(4) as pool:
            cookies = pool.map(
                lambda p: log_in(port, p.username, p.password, p.totp_secret), world.people
            )
            for person, cookie in zip(world.people, cookies, strict=True):
                person.cookie = cookie
        logged_in = time.monotonic() - began
        callers = _callers(port, world)
        _check_each_operation(callers, counting)
        audit_before = _audit_rows(counting)
        deadlocks_before = _deadlocks(counting)
        ready = time.monotonic() - began

        report = run_load(
            callers,
            OPERATIONS,
            seconds=SECONDS,
            max_operations=MAX_OPERATIONS_PER_CLIENT,
            at_half_time=back_up,
        )
        server.begin_stopping()
        loaded = time.monotonic() - began
        audit_after = _audit_rows(counting)
        deadlocks = _deadlocks(counting) - deadlocks_before
        counting.dispose()

        print(
            f"seeded after {seeded:.1f} s, logged in after {logged_in:.1f} s, "
            f"ready to load after {ready:.1f} s, served the load until {loaded:.1f} s"
        )
        print(report.latency_table())
        print(report.summary())
        print(f"deadlocks detected by PostgreSQL during the load: {deadlocks}")
        server_errors = [
            line
            for line in server_log.read_text().splitlines()
            if "unhandled" in line or "[ERROR]" in line or "Traceback" in line
        ]
        assert not report.failures, (
            report.failure_summary() + "\n" + report.summary() + "\nserver log:\n"
            + "\n".join(server_errors[:20])
        )  # fmt: skip
        assert not server_errors, "\n".join(server_errors[:20])
        audited = report.audited_successes
        print(f"audit log: {audit_after - audit_before} new entries for {audited} audited requests")
        assert audit_after - audit_before >= audited

        # The dump taken half way through restores into an empty database, as in a disaster,
        # while the live database's log is checked.
        stranger = tmp_path / "other-keys" / "keys.json"
        stranger.parent.mkdir()
        generate_key_file(stranger)
        with ThreadPoolExecutor(4) as pool:
            verified = pool.submit(_command, env, "audit", "verify")
            (dumper,) = dumping
            dump_output = dumper.communicate(timeout=PROCESS_TIMEOUT)[0].decode()
            assert dumper.returncode == 0, dump_output
            restored = databases.create("restored")
            restoring = subprocess.run(
                [
                    _pg_tool("pg_restore"),
                    "--exit-on-error",
                    f"--dbname={_libpq(restored)}",
                    str(dump),
                ],  # fmt: skip
                capture_output=True,
                text=True,
                timeout=PROCESS_TIMEOUT,
            )
            assert restoring.returncode == 0, restoring.stdout + restoring.stderr
            restored_at = time.monotonic() - began
            restored_env = _environment(restored, load_key_file, instance)
            stranger_env = _environment(restored, stranger, instance)
            restored_audit = pool.submit(
                _command, restored_env, "audit", "verify", "--head", str(head)
            )
            keys = pool.submit(_command, restored_env, "keys", "verify")
            # A key file that is not the installation's opens nothing.
            wrong = pool.submit(_command, stranger_env, "keys", "verify")

        live_result = verified.result()
        assert live_result.returncode == 0, live_result.stdout + live_result.stderr
        assert "audit log intact" in live_result.stdout
        restored_result = restored_audit.result()
        assert restored_result.returncode == 0, restored_result.stdout + restored_result.stderr
        assert "audit log intact" in restored_result.stdout
        keys_result = keys.result()
        assert keys_result.returncode == 0, keys_result.stdout + keys_result.stderr
        decrypted = re.search(r"every sealed value decrypts \((\d+) values\)", keys_result.stdout)
        assert decrypted and int(decrypted.group(1)) > 0, keys_result.stdout
        print(f"restored: {decrypted.group(1)} sealed values decrypt")
        wrong_result = wrong.result()
        assert wrong_result.returncode == 1, wrong_result.stdout + wrong_result.stderr
        print(f"restored after {restored_at:.1f} s, wall time {time.monotonic() - began:.1f} s")
