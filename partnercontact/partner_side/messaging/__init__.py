"""Letters and text messages to the partner: templates, sending rules, dispatch,
replies and the development outbox."""
