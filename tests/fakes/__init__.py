"""Local stand-ins for the systems at the service's edge, for tests only."""
