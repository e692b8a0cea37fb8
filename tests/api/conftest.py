"""Fixtures for the API tests: those of the ticket tests are shared."""

from tests.tickets.conftest import login  # noqa: F401
