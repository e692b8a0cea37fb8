"""Complaints made through the real services, for the complaints tests."""

from complaints import services
from complaints.models import Complaint
from tests.clock import at
from tickets.models import ProblemType

T0 = at("2026-03-02 10:00")  # a Monday


def accept(clerk, **extra) -> Complaint:
    fields = {
        "actor": clerk,
        "subject": "维修人员态度差",
        "description": "上门维修的工程师态度恶劣，还迟到两个小时。",
        "problem_type": ProblemType.SERVICE_QUALITY,
        "contact_name": "陈先生",
        "contact_phone": "13800000001",
        "now": T0,
    }
    fields.update(extra)
    return services.complaint_accept(**fields)
