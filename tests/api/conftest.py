"""Fixtures for the API tests: those of the ticket tests are shared."""

import pytest
from django.core.cache import cache

from tests.tickets.conftest import login  # noqa: F401


@pytest.fixture(autouse=True)
def fresh_throttle_counts():
    """Each test starts with no requests counted against any key (ids repeat between tests)."""
    cache.clear()
    yield
    cache.clear()
