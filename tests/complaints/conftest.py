"""Fixtures for the complaints tests: those of the ticket tests are shared."""

import pytest

from tests.factories import DepartmentFactory, StaffFactory
from tests.tickets.conftest import finance_user, login, media, outsider  # noqa: F401
from tickets.models import ProblemRoute, ProblemType, StaffProfile


@pytest.fixture
def service_dept(db):
    department = DepartmentFactory(name="客户服务部", code="customer_service")
    head = StaffFactory(
        user__username="cshead",
        user__first_name="周经理",
        staff_no="4001",
        department=department,
        role=StaffProfile.Role.DEPT_HEAD,
    ).user
    department.head = head
    department.save(update_fields=["head"])
    ProblemRoute.objects.create(problem_type=ProblemType.SERVICE_QUALITY, department=department)
    return department
