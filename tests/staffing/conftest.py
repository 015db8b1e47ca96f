"""The staffing tests use the partner side's handed-over case."""

from tests.partners.conftest import handed_over  # noqa: F401  (a fixture, used by name)
