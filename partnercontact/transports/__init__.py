"""Text message transports: the outbox and Twilio. They know no partner: a number, a
body and a callback."""
