"""Fixtures for the API tests: those of the ticket tests are shared."""

import functools

import pytest
from django.core.cache import cache

from tests.tickets.conftest import login  # noqa: F401


@pytest.fixture(autouse=True)
def fresh_throttle_counts():
    """Each test starts with no requests counted against any key (ids repeat between tests)."""
    cache.clear()
    yield
    cache.clear()


@functools.cache
def openapi() -> dict:
    """The OpenAPI schema as /api/v1/schema/ serves it (JSON); it is the same for every test."""
    from django.test import Client

    return Client().get("/api/v1/schema/", {"format": "json"}).json()


def component(name: str) -> dict[str, dict]:
    """The properties of a schema component, e.g. component("Ticket")["department"]."""
    return openapi()["components"]["schemas"][name]["properties"]


def allows(prop: dict, value) -> bool:
    """Whether a (simple) property schema lets `value` through: null where nullable, "" where an
    enum has a blank alternative, the enum's values."""
    if value is None:
        return prop.get("nullable", False)
    refs = [item["$ref"].rsplit("/", 1)[1] for item in prop.get("oneOf", []) + prop.get("allOf", [])]
    schemas = openapi()["components"]["schemas"]
    values = [choice for ref in refs for choice in schemas[ref].get("enum", [])] + prop.get("enum", [])
    return value in values if values else isinstance(value, str)
