"""Contact sessions, reminders, recurring duties and the dispatcher that runs them."""
