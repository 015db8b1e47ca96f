"""A national-scale PostgreSQL database for the benchmarks, and a small one of the same shape.

What is in it (at ``scale=1``): 20 clinics, each with its manager and ten teams; a team is a
client treater with 25 clients and a partner-contact treater holding their 25 partner cases,
in every state a case can be in (waiting to be picked up, picked up, accepted, declined,
unreachable, ended, protected identity), with letters, texts, risk assessments, children,
safety plans and about ten contact sessions a case: 5,000 cases and 50,000 sessions in all;
and an audit log of 2,000,000 rows whose chain ``partnercontact audit verify`` finds intact.

How it is made:

1. the first team of the first clinic is built through the real services, the clock moved
   over a simulated year (each case handed over on its own day, its sessions booked and held
   week by week), so every row and every audit event is one the application writes;
2. every other team is a copy of that one: each row with new ids, each sealed field unsealed
   and sealed again under a new data key of its own case (or account) for its new row, users
   with new names, in the clinic it is copied to;
3. the audit log is filled up with rows patterned on the service-built ones (the same actions
   on the same kinds of record), spread over the year across every clinic's staff and cases,
   each chained to the last with the log's MAC key, then copied in.

The small database is the same generator with one clinic: the same manager, the same ten
teams and the same treaters with the same amount of their own data, and the clinic's share
of the audit log. What a page costs there against the national one is what grows with the
whole database.

Building the full size takes minutes, so each build is kept as a ``pg_dump`` (with its key
file and the logins the benchmarks need) in ``PCBENCH_CACHE`` (default
``/var/tmp/partnercontact-bench/``), keyed by the newest migration and :data:`GENERATOR_VERSION`;
later runs restore it. Invented data only.

    .venv/bin/python -m bench.national [--scale 1.0] [--small]   # build (or restore) once
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time as timing
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import Integer, String, UniqueConstraint, create_engine, select, text
from sqlalchemy.engine import Connection, make_url

from bench.common import ROOT, BenchError, fresh_database, postgres_server

# Bump whenever what the generator builds changes: cached databases of another version are
# never restored.
GENERATOR_VERSION = 3
CACHE_VARIABLE = "PCBENCH_CACHE"
# Outside the work tree and kept across reboots: a restore takes seconds, a build minutes.
DEFAULT_CACHE = Path("/var/tmp/partnercontact-bench")  # noqa: S108

# Rows that belong to no team (or that a copy must not repeat): the clinics themselves, the
# log and its runs, logins in progress, and the clinic-less text-stop list.
NOT_COPIED = frozenset(
    {
        "audit_event",
        "audit_verification",
        "clinic",
        "web_session",
        "portal_session",
        "sms_opt_out",
        "portal_address_failure",
    }
)
# What becomes of a partner case, in turn: every state a case page and an inbox can show.
CASE_COURSES = (
    "accepted",
    "waiting",
    "accepted",
    "declined",
    "ended",
    "unreachable",
    "accepted",
    "protected",
    "picked_up",
)
WITH_SESSIONS = frozenset({"accepted", "ended", "protected"})
FIRST_NAMES = ("Maja", "Sara", "Elin", "Nora", "Lina", "Hanna", "Ida", "Moa", "Vera", "Alva")
LAST_NAMES = ("Påhittad", "Exempelsson", "Lindvik", "Testberg", "Prövning")


@dataclass(frozen=True)
class Shape:
    """How much the generator builds."""

    clinics: int
    teams_per_clinic: int
    cases_per_team: int
    sessions_per_case: int
    audit_rows: int

    @classmethod
    def at(cls, scale: float) -> Shape:
        """The national shape at ``scale`` (1: 20 clinics, 5,000 cases, 50,000 sessions,
        2,000,000 audit rows); small scales keep at least two clinics and a case of every
        course."""
        return cls(
            clinics=max(2, round(20 * scale)),
            teams_per_clinic=max(1, round(10 * scale)),
            cases_per_team=max(len(CASE_COURSES), round(25 * scale)),
            sessions_per_case=max(2, round(10 * scale)),
            audit_rows=max(2_000, round(2_000_000 * scale)),
        )

    def small(self) -> Shape:
        """One clinic of this shape, with its share of the audit log."""
        return Shape(
            clinics=1,
            teams_per_clinic=self.teams_per_clinic,
            cases_per_team=self.cases_per_team,
            sessions_per_case=self.sessions_per_case,
            audit_rows=self.audit_rows // self.clinics,
        )

    @property
    def slug(self) -> str:
        return (
            f"c{self.clinics}-t{self.teams_per_clinic}-k{self.cases_per_team}"
            f"-s{self.sessions_per_case}-a{self.audit_rows}"
        )


@dataclass(frozen=True)
class Login:
    user_id: int
    username: str
    password: str
    totp_secret: str


@dataclass(frozen=True)
class Cast:
    """The people whose pages are measured, all of the first clinic, and what they look at:
    the partner-contact treater of the first team (``case_id`` is an accepted case with
    sessions that this treater holds), the client treater of the same team, and the clinic's
    manager; ``period`` is a month for the access log's period filter; ``built_on`` the day
    the simulated year ended (a restore may come weeks later: pages that show the current
    week or month are asked for the build's instead)."""

    clinic_id: int
    partner_treater: Login
    client_treater: Login
    manager: Login
    case_id: uuid.UUID
    case_reference: str
    partner_name: str
    client_name: str
    period: tuple[date, date]
    built_on: date

    def to_json(self) -> dict[str, Any]:
        document = asdict(self)
        document["case_id"] = str(self.case_id)
        document["period"] = [day.isoformat() for day in self.period]
        document["built_on"] = self.built_on.isoformat()
        return document

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> Cast:
        return cls(
            clinic_id=document["clinic_id"],
            partner_treater=Login(**document["partner_treater"]),
            client_treater=Login(**document["client_treater"]),
            manager=Login(**document["manager"]),
            case_id=uuid.UUID(document["case_id"]),
            case_reference=document["case_reference"],
            partner_name=document["partner_name"],
            client_name=document["client_name"],
            period=(
                date.fromisoformat(document["period"][0]),
                date.fromisoformat(document["period"][1]),
            ),
            built_on=date.fromisoformat(document["built_on"]),
        )


@dataclass(frozen=True)
class NationalDatabase:
    """A built (or restored) database: where it is, its keys and instance folder, who to log
    in as, and how long it took and how big it is."""

    url: str
    keys: Path
    instance: Path
    cast: Cast
    shape: Shape
    restored: bool
    seconds: float
    counts: dict[str, int] = field(default_factory=dict)


# --- the cache ------------------------------------------------------------------------------------


def cache_folder() -> Path:
    return Path(os.environ.get(CACHE_VARIABLE) or DEFAULT_CACHE)


def cache_key(url: str, shape: Shape) -> str:
    """The newest migration, a digest of every migration's text (one edited in place, as an
    index added to the newest, makes another schema under the same name), the generator's
    version and the shape."""
    from partnercontact.migrate import head_revision

    digest = hashlib.sha256()
    for path in sorted((ROOT / "migrations" / "versions").glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return f"{head_revision(url)}-{digest.hexdigest()[:10]}-g{GENERATOR_VERSION}-{shape.slug}"


def _libpq_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _client_tool(name: str, url: str) -> str:
    """``pg_dump`` or ``pg_restore`` of the server's major version where it is installed
    beside it, else the one on the path."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            major = int(str(conn.scalar(text("SHOW server_version_num")))) // 10_000
    finally:
        engine.dispose()
    beside = Path(f"/usr/lib/postgresql/{major}/bin/{name}")
    found = str(beside) if beside.exists() else shutil.which(name)
    if found is None:
        raise BenchError(f"no {name} (apt install postgresql-client)")
    return found


def _save(
    url: str, keys: Path, cast: Cast, counts: dict[str, int], folder: Path, slug: str
) -> None:
    """Keep the database, its key file and its cast under ``folder``, whole or not at all,
    in place of any older build of the shape ``slug``."""
    partial = folder.with_name(folder.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    subprocess.run(
        [
            _client_tool("pg_dump", url),
            "-Fc",
            "-Z1",
            "-f",
            str(partial / "db.dump"),
            _libpq_url(url),
        ],
        check=True,
    )
    shutil.copy(keys, partial / "keys.json")
    (partial / "keys.json").chmod(0o600)
    (partial / "cast.json").write_text(json.dumps({"cast": cast.to_json(), "counts": counts}))
    shutil.rmtree(folder, ignore_errors=True)
    partial.rename(folder)
    # Builds of the same shape on older migrations or generators are never restored again.
    for stale in folder.parent.glob(f"*-{slug}"):
        if stale != folder and stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)


def _restore(url: str, keys: Path, folder: Path) -> tuple[Cast, dict[str, int]]:
    subprocess.run(
        [_client_tool("pg_restore", url), "-j2", "--no-owner", "-d", _libpq_url(url),
         str(folder / "db.dump")],
        check=True,
    )  # fmt: skip
    shutil.copy(folder / "keys.json", keys)
    # A restore brings no planner statistics and no visibility map: without them the first
    # minutes of queries would be planned and run as on no database anyone has.
    _vacuum_analyze(url)
    document = json.loads((folder / "cast.json").read_text())
    return Cast.from_json(document["cast"]), document["counts"]


def _vacuum_analyze(url: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text("VACUUM ANALYZE"))
    finally:
        engine.dispose()


# --- the entry point -----------------------------------------------------------------------------


@contextlib.contextmanager
def national_database(
    admin_url: str | None = None,
    *,
    scale: float = 1.0,
    small: bool = False,
    name: str | None = None,
    use_cache: bool = True,
    log: Callable[[str], None] | None = None,
) -> Iterator[NationalDatabase]:
    """The national database at ``scale`` (or, with ``small``, its one-clinic counterpart) in
    a database of its own on the server of ``admin_url`` (see
    :func:`bench.common.postgres_server`), restored from the cache when a build of the same
    migrations, generator and shape is there, else built and then cached; dropped afterwards.
    """
    from partnercontact.migrate import head_revision

    say = log or (lambda message: print(message, file=sys.stderr, flush=True))
    shape = Shape.at(scale)
    if small:
        shape = shape.small()
    database = name or f"pc_bench_{'small' if small else 'national'}_{shape.slug}".replace("-", "_")
    with (
        tempfile.TemporaryDirectory() as folder,
        postgres_server(admin_url) as server,
        fresh_database(server, database[:63]) as url,
    ):
        instance = Path(folder) / "instance"
        instance.mkdir()
        keys = Path(folder) / "keys.json"
        started = timing.monotonic()
        cached = cache_folder() / cache_key(url, shape)
        if use_cache and (cached / "db.dump").exists():
            say(f"restoring {shape.slug} from {cached}...")
            cast, counts = _restore(url, keys, cached)
            restored = True
        else:
            say(f"building {shape.slug} (migrations at {head_revision(url)})...")
            cast, counts = build(url, keys, instance, shape, say)
            restored = False
        seconds = timing.monotonic() - started
        if use_cache and not restored:
            say(f"  keeping it in {cached}")
            _save(url, keys, cast, counts, cached, shape.slug)
        say(f"  {'restored' if restored else 'built'} in {seconds:.1f} s: {counts}")
        yield NationalDatabase(url, keys, instance, cast, shape, restored, seconds, counts)


def build(
    url: str, keys: Path, instance: Path, shape: Shape, say: Callable[[str], None]
) -> tuple[Cast, dict[str, int]]:
    """Migrate the empty database at ``url``, write a key file to ``keys`` and fill both."""
    from partnercontact.crypto.keyfile import generate_key_file
    from partnercontact.migrate import upgrade

    generate_key_file(keys)
    upgrade(url)
    began = timing.monotonic()
    template, cast = _first_team(url, keys, instance, shape)
    say(f"  first team through the services: {timing.monotonic() - began:.1f} s")
    began = timing.monotonic()
    copies = _copy_teams(url, keys, shape, template, cast)
    say(f"  {copies} teams copied: {timing.monotonic() - began:.1f} s")
    began = timing.monotonic()
    _fill_audit_log(url, keys, shape)
    say(f"  audit log filled: {timing.monotonic() - began:.1f} s")
    counts = _counts(url)
    return cast, counts


def _counts(url: str) -> dict[str, int]:
    tables = (
        "clinic", "user_account", "client", "partner_case", "contact_session", "sent_letter",
        "sms_message", "risk_assessment", "consent", "audit_event",
    )  # fmt: skip
    _vacuum_analyze(url)
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {t: int(conn.scalar(text(f"SELECT count(*) FROM {t}"))) for t in tables}  # noqa: S608
    finally:
        engine.dispose()


# --- the first team, through the services --------------------------------------------------------


def _person(number: int) -> str:
    first = FIRST_NAMES[number % len(FIRST_NAMES)]
    return f"{first} {LAST_NAMES[number // len(FIRST_NAMES) % len(LAST_NAMES)]} {number + 1}"


@dataclass
class _Case:
    number: int
    course: str
    handed_over_at: datetime
    sessions: int
    case_id: uuid.UUID | None = None
    client_name: str = ""
    partner_name: str = ""


def _first_team(
    url: str, keys: Path, instance: Path, shape: Shape
) -> tuple[dict[str, set[Any]], Cast]:
    """The first clinic, its manager and its first team, built through the services over a
    simulated year; returns the primary keys of every row that makes up the team (what a copy
    repeats) and the cast."""
    from partnercontact.app import create_app
    from partnercontact.client_side.consent.forms import all_forms
    from partnercontact.clock import FixedClock
    from partnercontact.config import load_config
    from partnercontact.crypto.keyfile import load_key_file
    from partnercontact.crypto.keyring import KeyRing
    from partnercontact.db import db
    from tests.factories import Factory

    config = load_config(
        environ={},
        overrides={
            "database": {"url": url},
            "keys": {"file": str(keys)},
            "auth": {"hashing_cost": "fast"},
        },
        instance_path=instance,
    )
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    year_ago = (now - timedelta(days=360)).replace(hour=8)
    # No case before the first consent form was in force.
    forms_from = min(form.valid_from for form in all_forms() if form.language == "sv")
    year_ago = max(year_ago, datetime.combine(forms_from + timedelta(days=1), time(8), UTC))
    clock = FixedClock(year_ago - timedelta(days=1))
    app = create_app(config, clock=clock, keyring=KeyRing(load_key_file(keys)))
    with app.app_context():
        factory = Factory(clock)
        clinic = factory.clinic("Mottagningen Norrbacka 1")
        manager = factory.manager(clinic=clinic)
        db.session.commit()
        before = _primary_keys(db.session.connection())
        client_treater = factory.client_treater(clinic=clinic)
        partner_treater = factory.partner_treater(clinic=clinic)
        cases = _plan_cases(shape, year_ago, now)
        _run_timeline(clock, factory, client_treater, partner_treater, cases, now)
        db.session.commit()
        after = _primary_keys(db.session.connection())
        template = {t: keys_ - before.get(t, set()) for t, keys_ in after.items()}
        measured = next(c for c in cases if c.course == "accepted" and c.case_id is not None)
        assert measured.case_id is not None
        month_end = (now - timedelta(days=30)).date()

        def login(account: Any) -> Login:
            return Login(account.user.id, account.username, account.password, account.totp_secret)

        cast = Cast(
            clinic_id=clinic.id,
            partner_treater=login(partner_treater),
            client_treater=login(client_treater),
            manager=login(manager),
            case_id=measured.case_id,
            case_reference=measured.case_id.hex[:8],
            partner_name=measured.partner_name,
            client_name=measured.client_name,
            period=(month_end - timedelta(days=30), month_end),
            built_on=now.date(),
        )
        db.session.remove()
        db.engine.dispose()
    return template, cast


def _primary_keys(conn: Connection) -> dict[str, set[Any]]:
    from partnercontact.db import db

    found: dict[str, set[Any]] = {}
    for table in db.metadata.sorted_tables:
        if table.name in NOT_COPIED:
            continue
        (pk,) = table.primary_key.columns
        found[table.name] = set(conn.scalars(select(pk)))
    return found


def _plan_cases(shape: Shape, year_ago: datetime, now: datetime) -> list[_Case]:
    """Each case's course, handover day and number of sessions: handed over evenly over the
    first ten months, sessions shared among the cases that have them so the team holds
    ``sessions_per_case`` a case on average."""
    count = shape.cases_per_team
    courses = [CASE_COURSES[n % len(CASE_COURSES)] for n in range(count)]
    with_sessions = sum(course in WITH_SESSIONS for course in courses)
    total = shape.sessions_per_case * count
    cases = []
    for number, course in enumerate(courses):
        sessions = 0
        if course in WITH_SESSIONS:
            sessions = total // with_sessions + (
                1 if number % with_sessions < total % with_sessions else 0
            )
        day = year_ago + (now - year_ago) * (5 / 6) * number / count
        cases.append(_Case(number, course, day.replace(hour=8, minute=0), sessions))
    return cases


def _run_timeline(
    clock: Any, factory: Any, client_treater: Any, partner_treater: Any, cases: list[_Case],
    now: datetime,
) -> None:  # fmt: skip
    """Every step of every case at its own moment, in the order of time (the clock only moves
    forward)."""
    from partnercontact.assessments.instruments import INSTRUMENTS
    from partnercontact.client_side.cases.models import TreatmentEpisode
    from partnercontact.clinics.clock import local_date
    from partnercontact.db import db
    from partnercontact.errors import DomainError
    from partnercontact.partner_side import clinical, contact, escalations
    from partnercontact.partner_side.messaging import letters, sms
    from partnercontact.partner_side.models import PartnerCase
    from partnercontact.partner_side.scheduling import sessions as scheduling
    from partnercontact.partner_side.service import pick_up
    from partnercontact.relay.handover import PartnerDetails, hand_over
    from tests.cases_built import accepted_contact, client_of, first_steps_taken, signed_consent_of

    holder = partner_treater.user
    clinic = client_treater.user.clinic
    events: list[tuple[datetime, int, Callable[[], None]]] = []
    order = iter(range(10**9))

    def at(moment: datetime, action: Callable[[], None]) -> None:
        events.append((moment, next(order), action))

    def handed_over(case: _Case) -> None:
        case.client_name = f"Klient {case.number + 1} Testsson"
        case.partner_name = _person(case.number)
        client_id = client_of(client_treater.user, name=case.client_name)
        signed_consent_of(client_treater.user, client_id, clock)
        hand_over(
            client_treater.user,
            client_id,
            PartnerDetails(
                name=case.partner_name,
                phone=f"070-{case.number:03d} 11 22",
                address=f"Exempelvägen {case.number + 1}, 123 45 Lindvik",
                relation="former",
                children_in_common="yes",
                protected_identity=case.course == "protected",
            ),
        )
        db.session.flush()
        case.case_id = db.session.scalar(
            select(PartnerCase.id)
            .join(TreatmentEpisode, TreatmentEpisode.id == PartnerCase.episode_id)
            .where(TreatmentEpisode.client_id == client_id)
        )

    def tolerate(step: Callable[[], object]) -> None:
        # A letter or text the rules refuse at that moment is left out, as a treater would.
        try:
            with db.session.begin_nested():
                step()
        except DomainError:
            pass

    def set_up(case: _Case) -> None:
        assert case.case_id is not None
        case_id = case.case_id
        if case.course == "waiting":
            return
        if case.course == "picked_up":
            # Nobody could take it on yet: raised to the manager, still open.
            pick_up(holder, case_id)
            escalations.raise_escalation(
                holder, case_id, reason="no_treater_available", urgency="normal"
            )
            return
        if case.course in ("declined", "unreachable"):
            pick_up(holder, case_id)
            first_steps_taken(holder, case_id, clock, channels=("phone", "sms", "letter"))
            tolerate(lambda: letters.send_letter(holder, case_id, "information", "sv"))
            contact.record_answer(
                holder, case_id, answer=case.course, answered_on=clock.now().date()
            )
            if case.course == "declined":
                # Threats after she said no: the manager confirms the warning or not.
                contact.record_threat_warning(holder, case_id, reason="Hot om våld vid hämtning.")
            return
        accepted_contact(holder, case_id, clock)
        tolerate(
            lambda: sms.queue_sms(
                holder, case_id, purpose="call_announcement", language="sv",
                idempotency_key=sms.new_idempotency_key(),
            )
        )  # fmt: skip
        child = clinical.record_child(
            holder,
            case_id,
            clinical.ChildDetails(
                label="Äldsta barnet", age=4 + case.number % 12, lives_with_client=False,
                regular_contact_with_client=True,
            ),
        )  # fmt: skip
        clinical.save_safety_plan(
            holder, case_id, child_id=None, content="Väska packad hos syster."
        )
        if case.course == "protected":
            # A high risk result: the manager's urgent consultation.
            clinical.record_risk_assessment(
                holder, case_id, instrument="freda_danger", assessed_on=clock.now().date(),
                ratings={item.key: "yes" for item in INSTRUMENTS["freda_danger"].items},
                level="high", next_review_on=None, notes="Hot har eskalerat senaste veckan.",
            )  # fmt: skip
        clinical.save_safety_plan(
            holder, case_id, child_id=child.id, content="Hämtning sker via förskolan."
        )

    def next_to_book(case_id: uuid.UUID) -> uuid.UUID:
        partner_case = db.session.get_one(PartnerCase, case_id)
        planned = [s for s in scheduling.sessions_of(holder, partner_case) if s.state == "to_book"]
        if planned:
            return planned[0].id
        due = local_date(clock.now(), clinic) + timedelta(days=1)
        return scheduling.add_session(holder, case_id, due_on=due).id

    booked: dict[tuple[int, int], uuid.UUID] = {}

    def book(case: _Case, number: int) -> None:
        assert case.case_id is not None
        session_id = next_to_book(case.case_id)
        tomorrow = local_date(clock.now(), clinic) + timedelta(days=1)
        scheduling.book_session(
            holder, case.case_id, session_id, day=tomorrow, at=time(9 + number % 7), minutes=60,
            channel="meeting" if number % 3 else "phone",
        )  # fmt: skip
        booked[(case.number, number)] = session_id

    def hold(case: _Case, number: int) -> None:
        case_id = case.case_id
        assert case_id is not None
        outcome = "held" if number % 6 else "cancelled_by_her"
        tolerate(
            lambda: scheduling.record_session(
                holder, case_id, booked[(case.number, number)], outcome=outcome,
                note=f"Samtal {number + 1}: går igenom säkerhetsplanen.",
            )
        )  # fmt: skip

    def end(case: _Case) -> None:
        assert case.case_id is not None
        contact.end_contact(holder, case.case_id, ended_on=clock.now().date())

    last = now - timedelta(days=3)
    for case in cases:
        at(case.handed_over_at, partial(handed_over, case))
        at(case.handed_over_at + timedelta(days=1, hours=2), partial(set_up, case))
        if not case.sessions:
            continue
        first = case.handed_over_at + timedelta(days=3)
        step = max(3.0, min(7.0, (last - first).total_seconds() / 86_400 / (case.sessions + 1)))
        moment = first
        for number in range(case.sessions):
            moment = first + timedelta(days=step * number)
            if moment > last:
                break
            at(moment, partial(book, case, number))
            at(moment + timedelta(days=2), partial(hold, case, number))
        if case.course == "ended":
            at(moment + timedelta(days=2, hours=1), partial(end, case))
    for moment, _, action in sorted(events, key=lambda event: event[:2]):
        clock.set(moment)
        action()
        db.session.commit()
    # One session booked ahead on every open case with sessions, for the calendar's week.
    clock.set(now - timedelta(hours=1))
    for case in cases:
        if case.case_id is not None and case.course in ("accepted", "protected"):
            session_id = next_to_book(case.case_id)
            scheduling.book_session(
                holder, case.case_id, session_id,
                day=local_date(now, clinic) + timedelta(days=1 + case.number % 5),
                at=time(10 + case.number % 6), minutes=60, channel="meeting",
            )  # fmt: skip
    db.session.commit()


# --- copies of the team --------------------------------------------------------------------------


@dataclass
class _Template:
    """The first team's rows, read once, table by table in the order they can be inserted."""

    rows: dict[str, list[dict[str, Any]]]
    users: set[int]
    manager_id: int
    clinic_id: int
    data_keys: dict[uuid.UUID, Any]


def _read_template(conn: Connection, template: dict[str, set[Any]], cast: Cast) -> _Template:
    from partnercontact.crypto.models import DataKey
    from partnercontact.db import db

    rows: dict[str, list[dict[str, Any]]] = {}
    for table in db.metadata.sorted_tables:
        wanted = template.get(table.name)
        if not wanted:
            continue
        (pk,) = table.primary_key.columns
        found = conn.execute(select(table).where(pk.in_(list(wanted)))).mappings().all()
        rows[table.name] = [dict(row) for row in found]
    data_keys = {
        row["id"]: DataKey(id=row["id"], kek_id=row["kek_id"], wrapped=row["wrapped"])
        for row in rows.get("data_key", [])
    }
    users = {row["id"] for row in rows.get("user_account", [])}
    return _Template(rows, users, cast.manager.user_id, cast.clinic_id, data_keys)


def _copy_teams(
    url: str, keys: Path, shape: Shape, template_keys: dict[str, set[Any]], cast: Cast
) -> int:
    """Copy the first team into the rest of the first clinic and into every other clinic
    (made through the services, each with its manager)."""
    from partnercontact.app import create_app
    from partnercontact.clock import FixedClock
    from partnercontact.config import load_config
    from partnercontact.crypto.keyfile import load_key_file
    from partnercontact.crypto.keyring import KeyRing
    from partnercontact.db import db
    from tests.factories import Factory

    keyring = KeyRing(load_key_file(keys))
    config = load_config(
        environ={},
        overrides={
            "database": {"url": url},
            "keys": {"file": str(keys)},
            "auth": {"hashing_cost": "fast"},
        },
        instance_path=keys.parent,
    )
    clock = FixedClock(datetime.now(UTC) - timedelta(days=362))
    app = create_app(config, clock=clock, keyring=keyring)
    targets: list[tuple[int, int]] = [(cast.clinic_id, cast.manager.user_id)] * (
        shape.teams_per_clinic - 1
    )
    with app.app_context():
        factory = Factory(clock)
        for number in range(2, shape.clinics + 1):
            clinic = factory.clinic(f"Mottagningen Norrbacka {number}")
            manager = factory.manager(clinic=clinic)
            targets += [(clinic.id, manager.user.id)] * shape.teams_per_clinic
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            template = _read_template(conn, template_keys, cast)
        for copy, (clinic_id, manager_id) in enumerate(targets, start=1):
            with engine.begin() as conn:
                _copy_team(conn, keyring, template, copy, clinic_id, manager_id)
    finally:
        engine.dispose()
    return len(targets)


def _unique_text_columns() -> dict[str, set[str]]:
    """Per table, the text columns that must differ from row to row (names, token hashes,
    blind indexes, idempotency keys)."""
    from partnercontact.db import db

    found: dict[str, set[str]] = defaultdict(set)
    for table in db.metadata.sorted_tables:
        groups = [tuple(c.columns) for c in table.constraints if isinstance(c, UniqueConstraint)]
        groups += [tuple(index.columns) for index in table.indexes if index.unique]
        for columns in groups:
            if (
                len(columns) == 1
                and isinstance(columns[0].type, String)
                and not columns[0].primary_key
            ):
                found[table.name].add(columns[0].name)
        for column in table.columns:
            if column.unique and isinstance(column.type, String):
                found[table.name].add(column.name)
    return found


def _copy_team(
    conn: Connection, keyring: Any, template: _Template, copy: int, clinic_id: int, manager_id: int
) -> None:
    """One copy of the template team in ``clinic_id``: new ids throughout, sealed fields
    sealed again under the copy's own data keys for the copy's rows."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    from partnercontact.crypto.errors import DecryptionFailed
    from partnercontact.crypto.models import DataKey
    from partnercontact.crypto.service import envelope_key_id, seal_bytes, unseal_bytes
    from partnercontact.db import db

    tables = {table.name: table for table in db.metadata.sorted_tables}
    unique_text = _unique_text_columns()
    new_uuid: dict[uuid.UUID, uuid.UUID] = {}
    new_int: dict[str, dict[int, int]] = {}
    for name, rows in template.rows.items():
        table = tables[name]
        (pk,) = table.primary_key.columns
        if isinstance(pk.type, Integer):
            fresh = conn.scalars(
                text("SELECT nextval(pg_get_serial_sequence(:t, :c)) FROM generate_series(1, :n)"),
                {"t": name, "c": pk.name, "n": len(rows)},
            ).all()
            new_int[name] = dict(zip((row[pk.name] for row in rows), fresh, strict=True))
        for row in rows:
            for column in ("id", "seal_id"):
                value = row.get(column)
                if isinstance(value, uuid.UUID):
                    new_uuid[value] = uuid.uuid4()
    users = new_int.get("user_account", {})
    data_keys: dict[uuid.UUID, DataKey] = {}
    for old in template.data_keys:
        fresh_id = new_uuid[old]
        kek_id, wrapped = keyring.wrap(AESGCM.generate_key(bit_length=256), fresh_id)
        data_keys[fresh_id] = DataKey(id=fresh_id, kek_id=kek_id, wrapped=wrapped)

    def remap(value: Any) -> Any:
        if isinstance(value, uuid.UUID):
            return new_uuid.get(value, value)
        if isinstance(value, str) and len(value) == 36 and value.count("-") == 4:
            with contextlib.suppress(ValueError):
                return str(new_uuid.get(uuid.UUID(value), uuid.UUID(value)))
        if isinstance(value, dict):
            return {k: remap(v) for k, v in value.items()}
        if isinstance(value, list):
            return [remap(v) for v in value]
        return value

    def resealed(name: str, column: str, row: dict[str, Any], value: bytes) -> bytes:
        old_key = template.data_keys[envelope_key_id(value)]
        new_key = data_keys[new_uuid[old_key.id]]
        place = column[: -len("_ct")]
        for id_column in ("seal_id", "id"):
            if id_column not in row:
                continue
            try:
                plain = unseal_bytes(
                    old_key, value, keyring=keyring, table=name, column=place, row_id=row[id_column]
                )
            except DecryptionFailed:
                continue
            return seal_bytes(
                new_key, plain, keyring=keyring, table=name, column=place,
                row_id=remap(row[id_column]) if id_column == "seal_id" else new_row_id(name, row),
            )  # fmt: skip
        raise BenchError(f"{name}.{column} of a template row does not unseal")

    def new_row_id(name: str, row: dict[str, Any]) -> Any:
        value = row["id"]
        return new_int[name][value] if name in new_int else new_uuid[value]

    for name, rows in template.rows.items():
        table = tables[name]
        foreign = {fk.parent.name: fk.column.table.name for fk in table.foreign_keys}
        copied = []
        for row in rows:
            out: dict[str, Any] = {}
            for column, value in row.items():
                target = foreign.get(column)
                if value is None:
                    out[column] = None
                elif table.c[column].primary_key and name in new_int:
                    out[column] = new_int[name][value]
                elif target == "clinic":
                    out[column] = clinic_id
                elif target == "user_account":
                    out[column] = users.get(
                        value, manager_id if value == template.manager_id else value
                    )
                elif target in new_int:
                    out[column] = new_int[target].get(value, value)
                elif name == "data_key" and column == "wrapped":
                    out[column] = data_keys[new_uuid[row["id"]]].wrapped
                elif name == "data_key" and column == "kek_id":
                    out[column] = data_keys[new_uuid[row["id"]]].kek_id
                elif column.endswith("_ct"):
                    out[column] = resealed(name, column, row, value)
                elif column in unique_text.get(name, ()):
                    if column == "username":
                        out[column] = f"{value}.{copy}"
                    else:
                        limit = getattr(table.c[column].type, "length", None) or 64
                        out[column] = hashlib.sha256(f"{value}|{copy}".encode()).hexdigest()[:limit]
                else:
                    out[column] = remap(value)
            copied.append(out)
        conn.execute(table.insert(), copied)


# --- the audit log ---------------------------------------------------------------------------


REFERENCED = {
    "partner_case": "SELECT id, clinic_id FROM partner_case",
    "client": "SELECT id, clinic_id FROM client",
    "episode": (
        "SELECT e.id, c.clinic_id FROM treatment_episode e JOIN client c ON c.id = e.client_id"
    ),
    "consent": "SELECT id, clinic_id FROM consent",
}


def _fill_audit_log(url: str, keys: Path, shape: Shape) -> None:
    """Append rows patterned on the service-built ones until the log holds
    ``shape.audit_rows``, spread over the past year and every clinic, chained with the log's
    MAC key (as :func:`partnercontact.audit.service.record_event` chains them)."""
    from partnercontact.audit.chain import EventFields, compute_mac
    from partnercontact.crypto.keyfile import load_key_file
    from partnercontact.crypto.keyring import KeyRing

    key = KeyRing(load_key_file(keys)).audit_mac_key
    rng = random.Random(20_261_207)
    with psycopg.connect(_libpq_url(url)) as conn, conn.cursor() as cur:
        cur.execute("SELECT seq, mac FROM audit_event ORDER BY seq DESC LIMIT 1")
        last = cur.fetchone()
        seq, prev = (last[0], last[1]) if last else (0, "0" * 64)
        missing = shape.audit_rows - seq
        if missing <= 0:
            return
        cur.execute(
            "SELECT action, resource_type, resource_id, outcome, actor_id IS NULL FROM audit_event"
        )
        patterns = cur.fetchall()
        staff: dict[int, list[int]] = defaultdict(list)
        for user_id, clinic_id in cur.execute("SELECT id, clinic_id FROM user_account").fetchall():
            staff[clinic_id].append(user_id)
        clinics = sorted(staff)
        pools: dict[str, dict[int, list[str]]] = {}
        for resource_type, query in REFERENCED.items():
            pool: dict[int, list[str]] = defaultdict(list)
            for record_id, clinic_id in cur.execute(query).fetchall():
                pool[clinic_id].append(str(record_id))
            pools[resource_type] = pool
        start = datetime.now(UTC) - timedelta(days=360)
        span = timedelta(days=355).total_seconds()
        columns = "seq, at, actor_id, clinic_id, action, resource_type, resource_id, outcome, mac"
        with cur.copy(f"COPY audit_event ({columns}) FROM STDIN") as copy:
            for number in range(missing):
                seq += 1
                action, resource_type, resource_id, outcome, by_system = rng.choice(patterns)
                clinic_id = clinics[number % len(clinics)]
                records = pools.get(resource_type, {}).get(clinic_id)
                if records:
                    resource_id = rng.choice(records)
                fields = EventFields(
                    seq=seq,
                    at=start
                    + timedelta(seconds=span * number / missing, microseconds=number % 997),
                    actor_id=None if by_system else rng.choice(staff[clinic_id]),
                    clinic_id=clinic_id,
                    action=action,
                    resource_type=resource_type,
                    resource_id=resource_id,
                    outcome=outcome,
                )
                prev = compute_mac(key, fields, prev)
                copy.write_row(
                    (seq, fields.at, fields.actor_id, clinic_id, action, resource_type,
                     resource_id, outcome, prev)
                )  # fmt: skip
        conn.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--small", action="store_true")
    parser.add_argument("--no-cache", action="store_true")
    args = parser.parse_args()
    with national_database(
        scale=args.scale, small=args.small, use_cache=not args.no_cache
    ) as built:
        summary = {
            "shape": asdict(built.shape),
            "restored": built.restored,
            "seconds": round(built.seconds, 1),
            "counts": built.counts,
        }
        print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
