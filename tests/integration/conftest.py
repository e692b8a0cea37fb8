import pytest
from django.db import connection


@pytest.fixture(autouse=True)
def _require_postgres(transactional_db):
    """Integration tests run against the real PostgreSQL (make test sets DATABASE_URL)."""
    if connection.vendor != "postgresql":
        pytest.fail("integration tests need DATABASE_URL pointing at PostgreSQL (run them through `make test`)")
