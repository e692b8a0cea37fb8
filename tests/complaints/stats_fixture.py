"""A hand-computed month of complaints and handled tickets for the complaint-rate tests.

March 2026 (Asia/Shanghai):

=============  ========  ======  =======  ===============  ============
department     received  upheld  handled  complaint rate   upheld rate
=============  ========  ======  =======  ===============  ============
技术支持部       3         1       8        37.5%            12.5%
前台            1         1       3        33.3%            33.3%
法务部          0         0       0        —                —
Unrouted       1         0       0        —                —
All            5         2       11       45.5%            18.2%
=============  ========  ======  =======  ===============  ============

On the edges: a complaint accepted 03-01 00:00 and one at 03-31 23:59 count in March, one at
04-01 00:00 does not; a tech ticket resolved 02-28 23:59 is February's; a complaint ticket
resolved in March is not a handled ticket; a resolved suggestion is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from complaints import services as complaint_services
from complaints.models import Complaint
from tests.clock import at
from tests.factories import DepartmentFactory
from tests.tickets.helpers import new_ticket
from tickets import services as ticket_services
from tickets.models import Department, ProblemType, Ticket


@dataclass
class RatesFixture:
    tech: Department
    front: Department
    legal: Department
    complaints: dict[str, Complaint]
    handled: list[Ticket]


def handle(actor, when, **fields) -> Ticket:
    """A ticket of `actor`'s department, resolved at first contact at `when`."""
    ticket = new_ticket(actor, now=when - timedelta(minutes=5), **fields)
    return ticket_services.ticket_resolve_first_contact(ticket=ticket, actor=actor, now=when)


def complain(clerk, when, *, department=None, router=None, upheld=None, reporter=None) -> Complaint:
    complaint = complaint_services.complaint_accept(
        actor=clerk,
        subject="服务投诉",
        description="客户对处理结果不满意。",
        problem_type=ProblemType.SERVICE_QUALITY,
        contact_name="陈先生",
        contact_phone="13800000001",
        route=False,
        now=when,
    )
    if department is not None:
        complaint = complaint_services.complaint_route(
            complaint=complaint, actor=router or clerk, department=department, now=when + timedelta(minutes=1)
        )
    if upheld is not None:
        complaint_services.complaint_report_save(
            complaint=complaint,
            actor=reporter,
            investigation="已调查",
            cause="沟通不到位",
            corrective_action="加强培训",
            is_upheld=upheld,
            now=when + timedelta(minutes=2),
        )
        complaint.refresh_from_db()
    return complaint


def build_march(*, clerk, engineer, tech_head, supervisor, tech_dept, front_desk_dept) -> RatesFixture:
    front_desk_dept.head = supervisor
    front_desk_dept.save(update_fields=["head"])
    legal = DepartmentFactory(name="法务部", code="legal")
    handled = [handle(engineer, at("2026-03-01 00:00"))]
    handled += [handle(engineer, at(f"2026-03-{day:02d} 10:00")) for day in range(2, 9)]
    handle(engineer, at("2026-02-28 23:59"))  # February's
    handled += [handle(clerk, at("2026-03-03 09:00")), handle(clerk, at("2026-03-31 23:59"))]
    handled.append(handle(clerk, at("2026-03-12 15:00"), kind=Ticket.Kind.SUGGESTION, subject="建议增加停车位"))
    complaints = {
        "tech_first": complain(clerk, at("2026-03-01 00:00"), department=tech_dept, upheld=True, reporter=tech_head),
        "tech_mid": complain(clerk, at("2026-03-15 10:00"), department=tech_dept, upheld=False, reporter=tech_head),
        "tech_last": complain(clerk, at("2026-03-31 23:59"), department=tech_dept),
        "tech_april": complain(clerk, at("2026-04-01 00:00"), department=tech_dept, upheld=True, reporter=tech_head),
        "front": complain(clerk, at("2026-03-10 11:00"), department=front_desk_dept, upheld=True, reporter=supervisor),
        "unrouted": complain(clerk, at("2026-03-20 16:00")),
    }
    # A complaint answered in March is not a handled ticket.
    ticket_services.ticket_resolve(
        ticket=complaints["tech_mid"].ticket, actor=tech_head, resolution="已答复客户", now=at("2026-03-16 10:00")
    )
    return RatesFixture(tech=tech_dept, front=front_desk_dept, legal=legal, complaints=complaints, handled=handled)
