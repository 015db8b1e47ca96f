"""Her own app: the partner's portal, a separate Flask app for a separate audience (its own
cookie, session table, lifetimes, templates and address; it never imports the staff web)."""
