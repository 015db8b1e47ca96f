"""The clinic's statistics for management: counts per period, with small numbers hidden."""
