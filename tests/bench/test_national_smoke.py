"""The national-scale generator and the staff-page benchmark still work, timed nowhere: at a
tiny scale on the suite's PostgreSQL, both databases are built through the services and by
copying, every staff page answers its logged-in person with that page's content on both, the
copied rows read back under their own keys, and the audit chain is intact. bench/run does the
measuring."""

from __future__ import annotations

import os

from bench.pages import check, pages_of, run_pages, sites

TINY = 0.001


def test_both_databases_serve_every_staff_page_and_keep_a_valid_chain() -> None:
    from partnercontact.audit.service import audit_mac_key
    from partnercontact.audit.verify import verify_chain
    from partnercontact.crypto.check import check_sealed_values
    from partnercontact.db import db
    from partnercontact.runtime import current_runtime

    # Databases of their own on the suite's server, made and dropped here, never cached.
    with sites(os.environ["PCTEST_PG_ADMIN_URL"], TINY, lambda message: None, use_cache=False) as (
        small,
        national,
    ):
        assert national.database.counts["clinic"] > small.database.counts["clinic"] == 1
        assert national.database.counts["partner_case"] > small.database.counts["partner_case"]
        assert national.database.counts["audit_event"] > small.database.counts["audit_event"]

        # A good answer is a 200 with the page's own content (the case's partner, the
        # client's name, a row of the log), which only the logged-in person sees.
        for site in (small, national):
            for page in pages_of(site.database.cast):
                check(site, page)
        names = [page.name for page in pages_of(national.database.cast)]
        assert names == [
            *(
                f"case page, {tab} tab"
                for tab in ("now", "her", "contact", "texts", "channel", "sessions", "safety")
            ),
            "partner inbox",
            "client list",
            "calendar",
            "consent register",
            "statistics",
            "access log",
            "access log by record",
            "access log by actor",
            "access log by period",
            "manager's tasks",
        ]

        results = run_pages(small, national, rounds=1, requests=1, warm_up=0)
        assert [result.page.name for result in results] == names
        assert all(r.statements["small"] > 0 and r.statements["national"] > 0 for r in results)

        for site in (small, national):
            with site.app.app_context():
                chain = verify_chain(db.session, audit_mac_key())
                sealed = check_sealed_values(current_runtime().keyring)
                db.session.rollback()
            assert chain.ok, chain.reason
            assert chain.rows_checked >= site.database.shape.audit_rows
            # Every copied team's fields were sealed again for their new rows and keys.
            assert sealed.failed == 0
            assert sealed.decrypted > 0
