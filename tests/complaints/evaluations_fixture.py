"""A hand-computed February of customer evaluations for the dashboard tests (issue 8).

Evaluated in February 2026 (Asia/Shanghai), recorded by phone by the supervisor; scores are
percentages on the manual's −50 % … 200 % scale:

====  ===========  ===========  =========  ========  ================  =======================
name  staff        department   technical  attitude  evaluated at      note
====  ===========  ===========  =========  ========  ================  =======================
good  李工 (2001)   技术支持部     100        90        02-03 10:00
fair  李工 (2001)   技术支持部     80         60        02-10 10:00
bad   王工 (2002)   技术支持部     −50        20        02-12 09:00       opens an unrouted complaint
best  小王 (1001)   前台          120        110       02-20 15:00       resolved at first contact
late  小王 (1001)   前台          0          50        02-28 23:59       still February
tie   小王 (1001)   前台          50         0         02-25 11:00       same scores' sum as late
march 李工 (2001)   技术支持部     0          100       03-01 00:00       March's
====  ===========  ===========  =========  ========  ================  =======================

February's averages (sum ÷ count, one decimal, half up):

===========  =====  ==========  ========
row          count  technical   attitude
===========  =====  ==========  ========
李工          2      90.0        75.0
王工          1      −50.0       20.0
小王          3      56.7        53.3
技术支持部     3      43.3        56.7
前台          3      56.7        53.3
all           6      50.0        55.0
===========  =====  ==========  ========

February's worst (lowest score, then lowest sum, then newest): bad, late, tie, fair, good, best.
Every ticket is resolved in February; the "bad" evaluation opens a complaint (threshold −30 %)
that no rule routes: February then has one unrouted complaint.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from complaints.evaluations import evaluation_record_by_phone
from complaints.models import Evaluation
from tests.clock import at
from tests.complaints.evaluations_helpers import handled_ticket
from tests.complaints.stats_fixture import handle
from tests.factories import StaffFactory
from tickets.models import StaffProfile

COMMENTS = {
    "good": "工程师很专业。",
    "fair": "",
    "bad": "工程师迟到两个小时，态度很差。" * 10,  # a long comment: shortened on the page, whole in exports
    "best": "前台解答清楚。",
    "late": "等了很久。",
    "tie": "电话没人接。",
    "march": "",
}


@dataclass
class EvaluationsFixture:
    evaluations: dict[str, Evaluation]
    second_engineer: object

    def ref(self, name: str) -> str:
        return self.evaluations[name].ticket.reference


def build_february(*, clerk, engineer, supervisor, tech_dept) -> EvaluationsFixture:
    wang = StaffFactory(
        user__username="engineer2",
        user__first_name="王工",
        staff_no="2002",
        extension="8202",
        department=tech_dept,
        role=StaffProfile.Role.HANDLER,
    ).user

    def by_engineer(who, created: str, evaluated: str, technical: int, attitude: int, name: str) -> Evaluation:
        ticket = handled_ticket(clerk, who, created=at(created), subject=f"打印机故障 {name}")
        return evaluation_record_by_phone(
            ticket=ticket,
            actor=supervisor,
            technical_score=technical,
            attitude_score=attitude,
            comment=COMMENTS[name],
            now=at(evaluated),
        )

    def at_front(resolved: str, evaluated: str, technical: int, attitude: int, name: str) -> Evaluation:
        ticket = handle(clerk, at(resolved), subject=f"签证咨询 {name}")
        return evaluation_record_by_phone(
            ticket=ticket,
            actor=supervisor,
            technical_score=technical,
            attitude_score=attitude,
            comment=COMMENTS[name],
            now=at(evaluated) if evaluated else at(resolved) + timedelta(hours=1),
        )

    evaluations = {
        "good": by_engineer(engineer, "2026-02-02 10:00", "2026-02-03 10:00", 100, 90, "good"),
        "fair": by_engineer(engineer, "2026-02-05 10:00", "2026-02-10 10:00", 80, 60, "fair"),
        "bad": by_engineer(wang, "2026-02-10 10:00", "2026-02-12 09:00", -50, 20, "bad"),
        "best": at_front("2026-02-20 14:00", "2026-02-20 15:00", 120, 110, "best"),
        "late": at_front("2026-02-28 10:00", "2026-02-28 23:59", 0, 50, "late"),
        "tie": at_front("2026-02-25 10:00", "2026-02-25 11:00", 50, 0, "tie"),
        "march": by_engineer(engineer, "2026-02-26 10:00", "2026-03-01 00:00", 0, 100, "march"),
    }
    return EvaluationsFixture(evaluations=evaluations, second_engineer=wang)
