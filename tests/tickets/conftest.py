"""Fixtures shared by the ticket tests (the staff fixtures are in tests/conftest.py)."""

import pytest
from django.test import Client

from scripts_lib.models import ServiceType
from tests.factories import StaffFactory
from tickets.models import StaffProfile


@pytest.fixture
def login():
    """A test client signed in as `user`, asking for English pages."""

    def make(user) -> Client:
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        client.force_login(user)
        return client

    return make


@pytest.fixture
def finance_user(db):
    """Finance, in a department of their own."""
    return StaffFactory(
        user__username="cashier", user__first_name="钱会计", extension="8500", role=StaffProfile.Role.FINANCE
    ).user


@pytest.fixture
def outsider(db):
    """A front-desk clerk of another department: sees none of the clerk's tickets."""
    return StaffFactory(user__username="outsider", user__first_name="外部门", staff_no="6001", extension="8600").user


@pytest.fixture
def media(settings, tmp_path):
    """Uploaded files go to a fresh folder."""
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def visa(db) -> ServiceType:
    """The visa service type, seeded with its documents and reminders by scripts_lib/migrations/0002."""
    return ServiceType.objects.get(code="visa")
