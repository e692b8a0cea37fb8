import pytest
from django.utils import translation

from tests.factories import DepartmentFactory, StaffFactory
from tickets.calendars import business_calendar_invalidate
from tickets.models import StaffProfile


@pytest.fixture(autouse=True)
def english():
    """Run each test body in English, so messages from services and commands match the English
    the tests assert. Test-client requests still pick their language through LocaleMiddleware
    (zh-hans unless the request asks for another); tests/test_i18n.py covers the Chinese."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def fresh_business_calendar():
    """The working calendar is cached per process for 30 s; each test starts from what its own
    database holds, whatever the tests before it seeded."""
    business_calendar_invalidate()
    yield
    business_calendar_invalidate()


@pytest.fixture
def front_desk_dept(db):
    return DepartmentFactory(name="前台", code="front_desk")


@pytest.fixture
def tech_dept(db):
    return DepartmentFactory(name="技术支持部", code="tech_support")


@pytest.fixture
def clerk(front_desk_dept):
    """A front-desk clerk (staff no 1001, extension 8001)."""
    return StaffFactory(
        user__username="clerk",
        user__first_name="小王",
        staff_no="1001",
        extension="8001",
        department=front_desk_dept,
    ).user


@pytest.fixture
def engineer(tech_dept):
    return StaffFactory(
        user__username="engineer",
        user__first_name="李工",
        staff_no="2001",
        extension="8201",
        department=tech_dept,
        role=StaffProfile.Role.HANDLER,
    ).user


@pytest.fixture
def tech_head(tech_dept):
    head = StaffFactory(
        user__username="techhead",
        user__first_name="张主管",
        staff_no="2000",
        extension="8200",
        department=tech_dept,
        role=StaffProfile.Role.DEPT_HEAD,
    ).user
    tech_dept.head = head
    tech_dept.save(update_fields=["head"])
    return head


@pytest.fixture
def supervisor(front_desk_dept):
    return StaffFactory(
        user__username="supervisor",
        user__first_name="赵经理",
        staff_no="9001",
        extension="8900",
        department=front_desk_dept,
        role=StaffProfile.Role.SUPERVISOR,
    ).user
