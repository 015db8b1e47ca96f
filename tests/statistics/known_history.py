"""One clinic's February and March 2026, with every answer of its statistics worked out by
hand (see the comments): the seeded data set the statistics tests check against."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from partnercontact.clock import FixedClock
from partnercontact.db import db
from tests.factories import Account, Factory
from tests.statistics.seeding import History

# The statistics are read on 10 April, so March is a whole month behind us.
READ_AT = datetime(2026, 4, 10, 9, 0, tzinfo=UTC)


def d(month: int, day: int) -> date:
    return date(2026, month, day)


@dataclass
class Seeded:
    manager: Account
    other_manager: Account


def seed_known_history(factory: Factory, clock: FixedClock) -> Seeded:
    clock.set(READ_AT)
    clinic = factory.default_clinic
    manager = factory.manager()
    history = History(clinic, factory.client_treater().user)

    # Clients. In treatment in March: E1-E12, E15-E18 = 16; in February: E1-E8 and E13 = 9.
    e = {n: history.episode(d(2, 10)) for n in range(1, 9)}
    for n in (9, 10, 11):
        e[n] = history.episode(d(3, 5))
    e[12] = history.episode(d(3, 5), status="dropped_out", ended_on=d(3, 20))
    e[13] = history.episode(d(1, 5), status="completed", ended_on=d(2, 20))
    e[14] = history.episode(d(4, 2))  # after March: counted nowhere
    for n in (15, 16):
        e[n] = history.episode(d(3, 10), status="dropped_out", ended_on=d(3, 25))
    for n in (17, 18):
        e[n] = history.episode(d(3, 1))  # never asked

    # Consents. Given in February: 7 (E1-E7); in March: 5 (E9-E11, E15, E16). Refused in
    # March: 2 (E8, E12). Withdrawn in March: 1 (E1). Asked by the end of March: 14 of 16.
    consent = {n: history.consent(e[n], d(2, 15)) for n in range(1, 8)}
    consent[1].withdrawn_on = d(3, 20)
    history.consent(e[8], d(3, 3), state="refused")
    for n in (9, 10, 11):
        consent[n] = history.consent(e[n], d(3, 12))
    history.consent(e[12], d(3, 6), state="refused")
    for n in (15, 16):
        consent[n] = history.consent(e[n], d(3, 11))

    p = {n: history.partner_case(e[n], consent[n], d(2, 16)) for n in range(1, 8)}
    for n in (9, 10, 11):
        p[n] = history.partner_case(e[n], consent[n], d(3, 13))
    for n in (15, 16):
        p[n] = history.partner_case(e[n], consent[n], d(3, 12))

    # First offers: February P2-P7 (6), March P1, P9, P10, P11, P15, P16 (6).
    # Days from consent: February 5, 5, 3, 3, 10, 10 (median 5); March 15, 2, 3, 4, 9, 10
    # (median 6.5).
    history.attempt(p[1], d(3, 2), "no_answer")
    history.letter(p[1], d(3, 5), "information")
    history.attempt(p[1], d(3, 10), "reached")
    history.answer(p[1], d(3, 10), "accepted")
    history.text(p[2], d(2, 20), "first_contact")
    history.attempt(p[2], d(3, 1), "reached")
    history.answer(p[2], d(3, 1), "accepted")
    history.text(p[3], d(2, 20), "first_contact")
    history.attempt(p[3], d(2, 21), "reached")
    history.answer(p[3], d(2, 21), "accepted")
    history.attempt(p[3], d(3, 3), "reached")  # reached before: not first reached in March
    history.letter(p[4], d(2, 18), "information")
    history.letter(p[5], d(2, 18), "call_announcement")
    history.attempt(p[6], d(2, 25), "no_answer")
    history.attempt(p[7], d(2, 25), "wrong_number")
    history.text(p[9], d(3, 13), "first_contact", sent=False)  # never sent: no offer
    history.attempt(p[9], d(3, 14), "reached")
    history.answer(p[9], d(3, 14), "accepted")
    history.letter(p[10], d(3, 14), "treatment_ended")  # a notice, not an offer
    history.attempt(p[10], d(3, 15), "reached")
    history.answer(p[10], d(3, 15), "declined")
    history.attempt(p[11], d(3, 16), "reached")
    history.answer(p[11], d(3, 16), "accepted")
    history.letter(p[15], d(3, 20), "information")
    history.answer(p[15], d(3, 22), "declined")
    history.text(p[16], d(3, 21), "first_contact")
    history.answer(p[16], d(3, 25), "accepted")
    # Reached first in March: P1, P2, P9, P10, P11, P15, P16 = 7; in February: P3.
    # Accepted in March: P1, P2, P9, P11, P16 = 5; declined: P10, P15 = 2.

    # Children: cases open in March with a child recorded by its end: P1-P5 = 5 (P9's child
    # came in April). February: P1-P3 and P6 (closed on 27 February) = 4.
    for n, day in ((1, d(2, 20)), (2, d(2, 20)), (3, d(2, 21)), (4, d(3, 2)), (5, d(3, 3))):
        history.child(p[n], day)
    history.child(p[9], d(4, 2))
    p[6].closed_on = d(2, 27)
    history.child(p[6], d(2, 26))
    history.concern_report(p[1], d(3, 12))
    history.concern_report(p[2], d(3, 13))
    # Concern reports by the client's treaters: 6 in March (from its first day to its last),
    # 2 in February, and one on 1 April that counts in neither.
    for n, day in enumerate((1, 5, 9, 14, 20, 31), start=1):
        history.client_concern_report(e[n], d(3, day))
    history.client_concern_report(e[1], d(2, 28))
    history.client_concern_report(e[2], d(2, 3))
    history.client_concern_report(e[3], d(4, 1))

    # Not contacted, decided in March: 6 long without contact, 5 controlling pattern, 1 in
    # sheltered housing, and one protected partner in sheltered housing counted as "not
    # broken down"; one "abroad" reversed the next day does not count. Total 13. In
    # February: 1 "other" (the same case, decided again in March).
    n_cases = []
    for _ in range(14):
        episode = history.episode(d(1, 2), status="completed", ended_on=d(1, 31))
        n_consent = history.consent(episode, d(1, 3))
        n_cases.append(
            history.partner_case(episode, n_consent, d(1, 3), protected=len(n_cases) == 12)
        )
    for case in n_cases[:6]:
        history.decision(case, d(3, 5), "no_contact", "long_time_without_contact")
    for case in n_cases[6:11]:
        history.decision(case, d(3, 6), "no_contact", "controlling_pattern")
    history.decision(n_cases[11], d(3, 7), "no_contact", "sheltered_housing")
    history.decision(n_cases[12], d(3, 7), "no_contact", "sheltered_housing")
    history.decision(n_cases[13], d(2, 12), "no_contact", "other")
    history.decision(n_cases[13], d(3, 8), "no_contact", "abroad")
    history.decision(n_cases[13], d(3, 9), "contact", None)

    # Relayed in March: started 6, missed 7, dropped out 3, completed 5, ended by the clinic
    # 5, consent withdrawn 5 (total 31). February: started 2.
    march = {
        "treatment_started": 6,
        "session_missed": 7,
        "dropped_out": 3,
        "treatment_completed": 5,
        "ended_by_clinic": 5,
        "consent_withdrawn": 5,
    }
    for kind, count in march.items():
        for index in range(count):
            history.relayed(e[index % 7 + 1], kind, d(3, 1 + index))
    history.relayed(e[1], "treatment_started", d(2, 11))
    history.relayed(e[2], "treatment_started", d(2, 11))

    # Consultations. Risk signals in March: 6 (E1-E6), in February: 1 (E7); none of them
    # counts among the relayed events above. Talks asked for in March by the client side: 2
    # (E1, E2), by the partner side: 5 (E3-E7), and one by the partner side in February (E8,
    # held on 3 March). Held in March: E8's, E1's and E3's = 3; in February: none.
    for n in range(1, 7):
        history.risk_signal(e[n], d(3, 10 + n))
    history.risk_signal(e[7], d(2, 24))
    history.consultation(e[1], "client", d(3, 4), held_on=d(3, 6))
    history.consultation(e[2], "client", d(3, 28))
    history.consultation(e[3], "partner", d(3, 2), held_on=d(3, 9))
    for n in (4, 5, 6, 7):
        history.consultation(e[n], "partner", d(3, 20 + n))
    history.consultation(e[8], "partner", d(2, 26), held_on=d(3, 3))

    # Another clinic's March counts nowhere here.
    other_clinic = factory.clinic("Grannmottagningen")
    other_manager = factory.manager(clinic=other_clinic)
    elsewhere = History(other_clinic, factory.client_treater(clinic=other_clinic).user)
    for _ in range(6):
        episode = elsewhere.episode(d(3, 2))
        case = elsewhere.partner_case(episode, elsewhere.consent(episode, d(3, 3)), d(3, 4))
        elsewhere.attempt(case, d(3, 5), "reached")
        elsewhere.relayed(episode, "dropped_out", d(3, 6))
        elsewhere.client_concern_report(episode, d(3, 7))
    db.session.commit()
    return Seeded(manager=manager, other_manager=other_manager)
