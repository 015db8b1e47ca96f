"""The partner side's contact plan, sessions, reminders and calendars."""
