"""Letters and text messages to partners: templates, safety rules, transports, the outbox."""
