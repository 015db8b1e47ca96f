"""Partner contact: consent, hand-over, contact and the relay between treaters."""
