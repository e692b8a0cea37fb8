"""Generate a realistic ServiceDesk data set on PostgreSQL, fast (issue 9).

    DATABASE_URL=postgres://…/servicedesk_bench python -m bench.generate --tickets 1000000

Run it on a freshly migrated, empty database (`make bench` makes one): it refuses a database that
already holds tickets. What it writes, over the three years before now:

- 30 departments with their heads, 300 staff (front desk, reception, handlers, heads,
  supervisors, office managers, finance, an administrator) and an API integration identity;
  call reasons in a two-level tree, problem and complaint routes, customers;
- N tickets, weighted to working hours on working days (the official calendar, holidays and
  make-up workdays included), growing over the years. Each ticket is *lived through*: its plan
  (accepted, resolved at first contact or handed off, replied, tested, paused, resolved,
  closed, reopened …) is played in time order through the same rules as tickets.services and
  tickets.deadlines — the SLA timers start, pause, resume, are met or cancelled, and the sweep
  warns and breaches whatever is still running when its time comes (escalating the ticket) —
  and everything after "now" is cut off. So old tickets are resolved or closed (a few were
  abandoned open, long overdue), recent ones are open, today's visitors are in the queue, and
  every timestamp, status, event and deadline agrees with the others;
- ~5 events a ticket, deadlines with their settling (met in time ~90 %), the sweep's actions,
  walk-in visits (queue numbers per line and day), complaints with their routing, handling
  report and return visit, customer evaluations (links included), reference sequences and
  queue counters that continue where the data stops, and one ticket with exactly 50 events.

How: the rows are streamed to PostgreSQL with COPY (text format, from in-memory buffers, on a
second thread so that generating and loading overlap), in one transaction: the foreign keys and
the large tables' secondary indexes are dropped first and rebuilt at the end (which also
re-validates every foreign key and unique constraint), the large tables are truncated and loaded
with COPY FREEZE, then the id sequences are set and the tables vacuumed and analysed. A failure
leaves the database as it was. The same --seed and --now give the same data.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import queue
import random
import sys
import threading
import time
from bisect import bisect_right
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

DAY = 86_400
HOUR = 3600
OFFSET = 8 * HOUR
NULL = "\\N"

# --- Text pools (no tabs, newlines or backslashes: they go into COPY text format as they are) ---

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
    "姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = "".join(
    [
        "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉飞斌宇浩凯健俊帆帅旭宁",
        "龙林欣怡佳琪梓涵子轩雨婷晨思文博",
    ]
)
CITIES = ["上海", "北京", "深圳", "广州", "杭州", "南京", "苏州", "成都", "武汉", "西安", "天津", "重庆"]
FIRMS = ["华信", "恒通", "远航", "金桥", "瑞丰", "联创", "天成", "海纳", "新锐", "博雅", "鼎盛", "中联"]
TRADES = ["贸易", "科技", "物流", "咨询", "建设", "实业", "文化", "电子"]

DEPARTMENTS = [
    # code, name, weight as a handoff target, handlers
    ("customer_service", "客户服务中心", 0, 0),
    ("reception", "前台接待部", 0, 0),
    ("engineering", "工程部", 12, 20),
    ("finance", "财务部", 3, 0),
    ("visa_1", "签证一部", 7, 14),
    ("visa_2", "签证二部", 6, 10),
    ("hukou", "户籍事务部", 6, 11),
    ("property", "物业管理部", 8, 14),
    ("security", "安保部", 3, 6),
    ("cleaning", "环境保洁部", 3, 5),
    ("after_sales", "售后服务部", 10, 17),
    ("tech_support", "技术支持部", 9, 16),
    ("network_ops", "网络运维部", 5, 8),
    ("quality", "质量管理部", 4, 7),
    ("legal", "法务部", 1, 3),
    ("hr", "人力资源部", 1, 3),
    ("admin_office", "行政部", 1, 4),
    ("marketing", "市场部", 1, 4),
    ("sales", "销售部", 3, 8),
    ("channels", "渠道合作部", 1, 4),
    ("key_accounts", "大客户部", 2, 6),
    ("logistics", "物流配送部", 3, 6),
    ("warehouse", "仓储部", 1, 4),
    ("purchasing", "采购部", 1, 3),
    ("it", "信息技术部", 2, 6),
    ("data", "数据分析部", 1, 3),
    ("training", "培训部", 1, 3),
    ("pr", "品牌公关部", 1, 3),
    ("audit", "审计部", 1, 3),
    ("facilities", "设施管理部", 2, 5),
]
PROBLEM_ROUTES = {
    "sales_business": "sales",
    "technical_quality": "tech_support",
    "service_quality": "quality",
    "other": "customer_service",
}
COMPLAINT_ROUTES = [  # problem type, severity ("" any), department
    ("service_quality", "", "quality"),
    ("technical_quality", "", "engineering"),
    ("technical_quality", "critical", "tech_support"),
    ("sales_business", "", "sales"),
    ("other", "", "customer_service"),
]
CATEGORIES = {
    "签证业务": ["材料清单", "办理进度", "加急服务", "费用咨询", "拒签申诉"],
    "户籍业务": ["落户咨询", "迁移证明", "材料补交", "进度查询"],
    "物业服务": ["入伙办理", "装修许可", "放行条", "停车管理", "门禁卡"],
    "维修报修": ["水电维修", "空调维修", "电梯故障", "公共设施", "漏水"],
    "缴费账单": ["物业费", "水电费", "发票开具", "退款", "滞纳金"],
    "产品售后": ["退换货", "保修咨询", "安装预约", "配件购买", "使用指导"],
    "通信业务": ["套餐变更", "宽带故障", "话费查询", "号码过户", "ETC办理"],
    "投诉建议": ["服务态度", "处理时效", "收费争议", "环境卫生"],
    "信息查询": ["营业时间", "办事地址", "政策解读"],
    "其他": ["其他咨询"],
}
NOTES = [
    "已电话联系客户，客户表示明白。",
    "客户补充了相关材料的照片。",
    "已提醒客户携带身份证原件。",
    "客户来电催办，已安抚并告知预计时间。",
    "与经办同事确认了处理进度。",
    "客户要求下午三点后回电。",
    "已发送短信告知办理结果。",
    "客户对处理方案无异议。",
    "已查询系统记录，信息一致。",
    "客户希望尽快处理，已加注说明。",
]
ANSWERS = [
    "已按流程处理完毕，请客户留意短信通知。",
    "经核实，问题已解决，客户确认无误。",
    "已为客户办理完成，并告知后续注意事项。",
    "材料已审核通过，预计三个工作日内完成。",
    "维修人员已上门处理，设备恢复正常。",
    "费用已核对，多收部分已原路退回。",
]
RESULTS = [
    "经办部门已处理，结果已反馈前台。",
    "已安排工程师上门检修，故障已排除。",
    "材料已补齐，业务已受理。",
    "已核实情况，按规定给予答复。",
]
EVALUATION_COMMENTS = ["", "", "", "服务很好，谢谢。", "处理及时。", "希望速度再快一点。", "态度不错。", "问题解决了。"]
PURPOSES = [  # purpose, line, label, weight
    ("move_in", "A", "入伙/产权过户", 12),
    ("renovation", "A", "装修许可", 10),
    ("payment", "A", "缴费", 20),
    ("repair", "A", "报修", 14),
    ("release", "A", "搬出放行条", 6),
    ("documents", "A", "户口或签证材料", 10),
    ("meet", "B", "拜访", 18),
    ("other", "C", "其他", 10),
]

PRIORITY_LADDER = ["low", "normal", "high", "urgent"]
OPEN_STATUSES = frozenset({"open", "handed_off", "replied", "awaiting_test", "waiting_customer"})
CASE_CLOCKS = ("handoff", "reply", "test_callback")
ANSWER_CLOCKS = ("reply", "complaint_promise")
VISIT_CLOCKS = ("visit_wait", "visit_clarify", "host_ack")
WORKING_UNITS = frozenset({"working_hours", "working_days"})
# Deadline kinds the visits app owns: no warning (the warning falls on the due time).
NO_WARNING = frozenset({"visit_wait", "visit_clarify", "host_ack"})
KIND_LABEL = {
    "handoff": "转交时限",
    "reply": "经办回复时限",
    "test_callback": "客户测试反馈",
    "complaint_promise": "投诉承诺回复",
}

# The large tables: truncated and loaded with COPY FREEZE; their secondary indexes are rebuilt.
BULK_TABLES = [
    "tickets_customer",
    "tickets_ticket",
    "tickets_ticketevent",
    "tickets_deadline",
    "tickets_slaaction",
    "tickets_ticketsequence",
    "visits_visit",
    "visits_queuecounter",
    "complaints_complaint",
    "complaints_complaintreport",
    "complaints_returnvisit",
    "complaints_evaluationlink",
    "complaints_evaluation",
]
COLUMNS = {
    "auth_user": "id, password, last_login, is_superuser, username, first_name, last_name, email, is_staff, "
    "is_active, date_joined",
    "tickets_department": "id, name, code, is_active, head_id",
    "tickets_staffprofile": "id, user_id, staff_no, extension, department_id, role",
    "tickets_category": "id, name, parent_id, is_active, sort_order",
    "tickets_problemroute": "id, problem_type, department_id",
    "complaints_complaintroute": "id, problem_type, severity, department_id, is_active",
    "visits_counterpresence": "id, user_id, is_available, counter, updated_at",
    "tickets_apiclient": "id, name, user_id, key_prefix, key_hash, scopes, created_at, expires_at, revoked_at, "
    "last_used_at",
    "tickets_customer": "id, name, phone, phone_alt, company, id_number, primary_contact_id, created_at",
    "tickets_ticket": "id, reference, kind, channel, status, priority, outcome, problem_type, contact_name, "
    "contact_phone, callback_phone, callback_note, subject, description, escalation_level, status_before_pause, "
    "version, created_at, updated_at, handed_off_at, resolved_at, closed_at, assignee_id, category_id, customer_id, "
    "department_id, first_responder_id, reviewed_at, reminders, service_type_id, checklist_version_id",
    "tickets_ticketevent": "id, ticket_id, actor_id, actor_label, created_at, type, status_before, status_after, "
    "note, data",
    "tickets_deadline": "id, ticket_id, kind, state, policy_id, amount, unit, warn_ratio, started_at, anchor_at, "
    'remaining, "window", due_at, warn_at, paused_at, paused_total, warned_at, breached_at, met_at, cancelled_at, '
    "escalation_level, settled_at, used, is_provisional, next_action_at, department_id",
    "tickets_slaaction": "id, deadline_id, action, level, due_at, acted_at",
    "tickets_ticketsequence": "id, staff_no, day, last_value",
    "visits_visit": "id, ticket_id, line, queue_date, number, visitor_name, visitor_phone, purpose, party_size, "
    "is_urgent, host_id, state, outcome, staff_id, counter, checked_in_at, called_at, serving_started_at, "
    "finished_at, host_acknowledged_at, suggested_staff_id, wait_alert_at, ladder_level, ladder_acknowledged_at",
    "visits_queuecounter": "id, queue_date, line, last_number",
    "complaints_complaint": "id, ticket_id, source_ticket_id, problem_type, severity, promised_hours, "
    "department_id, routed_to_id, routed_at, accepted_by_id, accepted_at, is_upheld",
    "complaints_complaintreport": "id, complaint_id, investigation, cause, staff_involved_note, penalty_opinion, "
    "corrective_action, is_upheld, written_by_id, written_at, approved_by_id, approved_at",
    "complaints_returnvisit": "id, complaint_id, called_by_id, called_at, verdict, comment, recorded_at",
    "complaints_evaluationlink": "id, ticket_id, token_hash, issued_by_id, issued_at, expires_at, used_at",
    "complaints_evaluation": "id, ticket_id, link_id, method, technical_score, attitude_score, comment, "
    "engineer_id, department_id, recorded_by_id, evaluated_at, complaint_id",
}


# --- Formatting ---------------------------------------------------------------------------------


class Fmt:
    """Timestamps as COPY text, from precomputed day and clock strings (millions are written)."""

    def __init__(self, first_day: int, last_day: int):
        self.first = first_day
        self.utc_days = []
        self.local_days = []
        for n in range(first_day - 1, last_day + 2):
            d = date(1970, 1, 1) + timedelta(days=n)
            self.utc_days.append(d.isoformat() + " ")
            self.local_days.append(d.isoformat() + "T")
        self.clock = [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(DAY)]

    def ts(self, t: int | None) -> str:
        if t is None:
            return NULL
        return self.utc_days[t // DAY - self.first + 1] + self.clock[t % DAY] + "+00"

    def iso(self, t: int) -> str:
        """As Python's isoformat() of the local time: what services put into event data."""
        local = t + OFFSET
        return self.local_days[local // DAY - self.first + 1] + self.clock[local % DAY] + "+08:00"

    def day(self, t: int) -> str:
        local = t + OFFSET
        return self.local_days[local // DAY - self.first + 1][:10]


def esc(text: str) -> str:
    """Escape for COPY text format."""
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def js(value) -> str:
    return esc(json.dumps(value, ensure_ascii=False))


def opt(value) -> str:
    return NULL if value is None else str(value)


def interval(seconds: int | None) -> str:
    return NULL if seconds is None else f"{seconds} seconds"


def boolean(value: bool | None) -> str:
    return NULL if value is None else ("t" if value else "f")


# --- The world: staff, departments, categories, customers -------------------------------------


class Staff:
    __slots__ = ("id", "username", "name", "staff_no", "extension", "department", "role")

    def __init__(self, id, username, name, staff_no, extension, department, role):
        self.id, self.username, self.name = id, username, name
        self.staff_no, self.extension, self.department, self.role = staff_no, extension, department, role


class World:
    def __init__(self, rng: random.Random, tickets: int):
        self.rng = rng
        self.departments = []  # (id, code, name, weight)
        self.dept_by_code = {}
        for i, (code, name, weight, _handlers) in enumerate(DEPARTMENTS, start=1):
            self.departments.append((i, code, name, weight))
            self.dept_by_code[code] = i
        self.staff: list[Staff] = []
        self.by_id: dict[int, Staff] = {}
        self.heads: dict[int, int] = {}
        self.handlers: dict[int, list[Staff]] = defaultdict(list)
        used_names = set()

        def person_name() -> str:
            while True:
                name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
                if name not in used_names:
                    used_names.add(name)
                    return name

        def add(role: str, department_code: str | None, prefix: str) -> Staff:
            uid = len(self.staff) + 1
            number = f"{prefix}{uid:03d}"
            person = Staff(
                uid,
                f"s{uid:04d}",
                person_name(),
                number,
                f"8{uid:03d}",
                self.dept_by_code[department_code] if department_code else None,
                role,
            )
            self.staff.append(person)
            self.by_id[uid] = person
            return person

        add("admin", None, "9")
        self.office_managers = [add("office_manager", "customer_service", "7") for _ in range(3)]
        self.supervisors = [add("supervisor", "customer_service", "6") for _ in range(8)]
        for code, *_rest in DEPARTMENTS:
            head = add("dept_head", code, "5")
            self.heads[head.department] = head.id
        self.finance = [add("finance", "finance", "4") for _ in range(6)]
        self.front_desk = [add("front_desk", "customer_service", "1") for _ in range(48)]
        self.reception = [add("front_desk", "reception", "1") for _ in range(8)]
        for code, _name, _weight, count in DEPARTMENTS:
            for _ in range(count):
                person = add("handler", code, "2")
                self.handlers[person.department].append(person)
        assert len(self.staff) == 300, len(self.staff)
        # The API integration's own identity (a supervisor's view, no department), as
        # tickets.api_keys.api_client_create makes it.
        self.api_user = Staff(301, "api-crm", "api:crm", "API1", "", None, "supervisor")
        self.by_id[301] = self.api_user
        self.targets = [d for d in self.departments if d[3] > 0]
        self.target_weights = []
        total = 0
        for d in self.targets:
            total += d[3]
            self.target_weights.append(total)

        # Call reasons: parents then children.
        self.categories = []  # (id, name, parent_id, sort)
        self.leaf_categories = []
        self.parent_categories = []
        cid = 0
        for p_sort, (parent, children) in enumerate(CATEGORIES.items()):
            cid += 1
            parent_id = cid
            self.categories.append((parent_id, parent, None, p_sort))
            self.parent_categories.append((parent_id, parent))
            for c_sort, child in enumerate(children):
                cid += 1
                self.categories.append((cid, child, parent_id, c_sort))
                self.leaf_categories.append((cid, child))

        # Customers: a quarter as many as tickets, some calling often.
        count = max(500, tickets // 4)
        self.customers = []  # (name, phone)
        phones = set()
        for _ in range(count):
            name = person_name_free(rng)
            while True:
                if rng.random() < 0.1:
                    phone = f"021-{rng.randrange(5000, 9999)} {rng.randrange(1000, 9999)}"
                else:
                    phone = f"1{rng.choice('35789')}{rng.randrange(10**8, 10**9)}"
                if phone not in phones:
                    phones.add(phone)
                    break
            self.customers.append((name, phone))

    def target_department(self) -> int:
        r = self.rng.random() * self.target_weights[-1]
        return self.targets[bisect_right(self.target_weights, r)][0]


def person_name_free(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))


# --- Deadlines and the life of one ticket -------------------------------------------------------


class Deadline:
    __slots__ = (
        "id",
        "kind",
        "state",
        "policy",
        "amount",
        "unit",
        "ratio",
        "started",
        "anchor",
        "remaining",
        "window",
        "due",
        "warn",
        "paused_at",
        "paused_total",
        "warned",
        "breached",
        "met",
        "cancelled",
        "level",
        "provisional",
        "next",
        "settled",
        "department",
        "used",
        "lag",
        "actions",
    )

    def working(self) -> bool:
        return self.unit in WORKING_UNITS


class Life:
    """One ticket played through the services' rules. Actions are applied in time order; before
    each, the sweep acts on whatever is due (as beat would have)."""

    def __init__(self, gen: Generator, tid: int, created: int, kind: str, channel: str, responder: Staff):
        self.g = gen
        self.id = tid
        self.kind = kind
        self.channel = channel
        self.created = created
        self.responder = responder
        self.status = "open"
        self.priority = "normal"
        self.outcome = ""
        self.problem_type = ""
        self.escalation = 0
        self.assignee = responder.id
        self.department = responder.department
        self.handed_off_at = None
        self.resolved_at = None
        self.closed_at = None
        self.status_before_pause = ""
        self.callback_phone = ""
        self.callback_note = ""
        self.version = 1
        self.updated = created
        self.events = []
        self.deadlines: list[Deadline] = []
        self.live: dict[str, Deadline] = {}
        self.visit = None  # dict of the visit's fields
        self.complaint = None
        self.report = None
        self.return_visit = None
        self.evaluation = None
        self.links = []
        self.category = None
        self.customer = None

    # --- recording -------------------------------------------------------------------------

    def event(self, t, type, actor, before, note="", data="{}", label=""):
        self.events.append((t, self.g.next_seq(), self.id, actor, label, type, before, self.status, note, data))

    def save(self, t):
        self.version += 1
        self.updated = t

    # --- deadlines -------------------------------------------------------------------------

    def start(self, kind: str, t: int, *, hours=None, level: int = 0) -> Deadline:
        if kind in self.live:
            raise AssertionError(f"ticket {self.id}: a second live {kind} deadline")
        g = self.g
        d = Deadline()
        d.kind = kind
        d.state = "running"
        if hours is not None:
            d.policy, d.amount, d.unit, d.ratio = None, hours, "clock_hours", 0.8
        else:
            d.policy, d.amount, d.unit, d.ratio = g.durations[kind]
        if kind in NO_WARNING:
            d.ratio = 1.0
        d.started = d.anchor = t
        d.remaining = None
        d.paused_at = None
        d.paused_total = 0
        d.warned = d.breached = d.met = d.cancelled = d.settled = d.used = d.department = None
        d.level = level
        d.lag = g.rng.randrange(1, 6)
        d.actions = []
        self._schedule(d)
        self.deadlines.append(d)
        self.live[kind] = d
        return d

    def _advance(self, d: Deadline, start: int, seconds: int) -> int:
        if seconds <= 0:
            return start
        return self.g.clock.add(start, seconds) if d.working() else start + seconds

    def _elapsed(self, d: Deadline, a: int, b: int) -> int:
        if d.working():
            return self.g.clock.between(a, b)
        return max(b - a, 0)

    def _schedule(self, d: Deadline) -> None:
        clock = self.g.clock
        if d.remaining is None:
            if d.unit == "working_hours":
                d.due = clock.add(d.anchor, int(d.amount * HOUR))
            elif d.unit == "working_days":
                d.due = clock.add_days(d.anchor, int(d.amount))
            elif d.unit == "clock_hours":
                d.due = d.anchor + int(d.amount * HOUR)
            else:
                d.due = d.anchor + int(d.amount * 60)
            d.window = self._elapsed(d, d.anchor, d.due)
            remaining = d.window
        else:
            remaining = d.remaining
            d.due = self._advance(d, d.anchor, remaining)
        consumed = d.window - remaining
        d.warn = self._advance(d, d.anchor, round(d.window * d.ratio) - consumed)
        d.provisional = d.working() and clock.is_provisional_between(d.anchor, d.due)
        d.next = self._next_action(d)

    @staticmethod
    def _next_action(d: Deadline):
        if d.state != "running":
            return None
        if d.warned is None and d.breached is None:
            return d.warn
        if d.breached is None:
            return d.due
        return None

    def _stop(self, kinds, t: int, state: str) -> None:
        for kind in list(self.live):
            if kinds is not None and kind not in kinds:
                continue
            d = self.live.pop(kind)
            if state == "met":
                if d.state == "paused" and d.remaining is not None:
                    d.used = max(d.window - d.remaining, 0)
                elif t <= d.due:
                    d.used = max(d.window - self._elapsed(d, t, d.due), 0)
                else:
                    d.used = d.window + self._elapsed(d, d.due, t)
                if d.settled is None:
                    d.settled, d.department = t, self.department
                d.met = t
            else:
                d.cancelled = t
            d.state = state
            d.next = None

    def meet(self, kinds, t):
        self._stop(kinds, t, "met")

    def cancel(self, kinds, t):
        self._stop(kinds, t, "cancelled")

    def pause_clocks(self, t):
        for d in self.live.values():
            if d.state == "running":
                d.remaining = self._elapsed(d, t, d.due)
                d.state = "paused"
                d.paused_at = t
                d.next = None

    def resume_clocks(self, t):
        for d in self.live.values():
            if d.state == "paused":
                d.paused_total += t - d.paused_at
                d.paused_at = None
                d.anchor = t
                d.state = "running"
                self._schedule(d)

    # --- the sweep -------------------------------------------------------------------------

    def sweep(self, t: int, final: bool = False) -> None:
        """Act on what the sweep (every 5 s) had acted on by `t`; `final`: everything due by `t`, as
        if the sweep had just run, so that nothing is left due at "now"."""
        while True:
            due = None
            for d in self.live.values():
                if d.next is not None and d.next + (0 if final else d.lag) <= t and (due is None or d.next < due.next):
                    due = d
            if due is None:
                return
            self._act(due, min(due.next + due.lag, t))

    def _act(self, d: Deadline, now: int) -> None:
        g = self.g
        if d.warned is None and d.breached is None and d.warn <= now < d.due:
            d.actions.append(("warn", d.level, d.next, now))
            d.warned = now
            d.next = self._next_action(d)
            recipient = self.assignee if d.kind in ANSWER_CLOCKS and self.assignee else self.responder.id
            self.event(
                now,
                "sla_warning",
                NULL,
                self.status,
                "",
                js({"deadline": d.kind, "due_at": g.fmt.iso(d.due), "notified": [recipient]}),
                "sla",
            )
            return
        level = d.level + 1
        d.actions.append(("breach", level, d.next, now))
        d.breached = now
        if d.settled is None:
            d.settled, d.department = now, self.department
        d.warned = d.warned or now
        d.level = level
        d.next = None
        if d.kind == "test_callback":
            if self.status == "awaiting_test":
                before = self.status
                self.status = "resolved"
                self.outcome = "test_timeout"
                self.resolved_at = now
                self.save(now)
                self.cancel(CASE_CLOCKS, now)
                self.event(
                    now,
                    "test_timeout",
                    NULL,
                    before,
                    "24小时内未反馈测试结果，视为已解决",
                    js({"due_at": g.fmt.iso(d.due)}),
                    "sla",
                )
        elif d.kind == "visit_wait":
            if self.visit is not None and self.visit["state"] == "waiting":
                self._wait_alert(now)
        elif d.kind == "host_ack":
            v = self.visit
            if v is not None and v["host"] and v["host_ack"] is None and v["state"] != "finished":
                notified = g.world.heads.get(g.world.by_id[v["host"]].department)
                self.event(
                    now,
                    "host_fallback",
                    NULL,
                    self.status,
                    "",
                    js({"host": v["host"], "notified": [notified] if notified else []}),
                    "sla",
                )
        elif d.kind == "visit_clarify":
            pass  # the plans make every question clear within its three minutes
        else:
            self._escalate(
                now,
                NULL,
                "sla",
                f"{KIND_LABEL.get(d.kind, d.kind)}已超时（应于 {g.fmt.iso(d.due)[:16]}）",
                {"source": "sla", "deadline": d.kind, "due_at": g.fmt.iso(d.due)},
            )

    def _escalate(self, t, actor, label, reason, data):
        before = self.priority
        self.priority = PRIORITY_LADDER[min(PRIORITY_LADDER.index(before) + 1, len(PRIORITY_LADDER) - 1)]
        self.escalation += 1
        self.save(t)
        head = self.g.world.heads.get(self.department) if self.department else None
        notified = [head] if head else [s.id for s in self.g.world.supervisors]
        data = {
            **data,
            "level": self.escalation,
            "priority_before": before,
            "priority_after": self.priority,
            "notified": notified,
        }
        self.event(t, "escalated", actor, self.status, reason, js(data), label)

    def _wait_alert(self, t):
        v = self.visit
        g = self.g
        colleague = g.rng.choice(g.world.reception)
        v["wait_alert_at"] = t
        v["suggested"] = colleague.id
        data = {
            "queue_number": v["number_text"],
            "reason": "urgent" if v["urgent"] else "waited",
            "waited_minutes": max((t - v["checked_in"]) // 60, 0),
            "colleague": colleague.id,
            "mode": "suggest",
        }
        self.event(t, "wait_alert", NULL, self.status, "", js(data), "sla")

    # --- the verbs (tickets.services, visits.services, complaints.services) ----------------

    def create(self, t):
        self.start("handoff", t)
        data = (
            f'{{"kind": "{self.kind}", "channel": "{self.channel}", "priority": "{self.priority}", '
            f'"category": {self.category[0] if self.category else "null"}, "service_type": null, "reminders": []}}'
        )
        actor = str(self.responder.id)
        self.event(t, "created", actor, "", "", data)

    def note(self, t, actor, text):
        if self.status == "closed":
            return
        self.event(t, "note", str(actor), self.status, text)

    def resolve_first_contact(self, t, actor, text):
        if self.status != "open" or self.handed_off_at is not None:
            return
        before = self.status
        self.status = "resolved"
        self.outcome = "first_contact"
        self.resolved_at = t
        self.save(t)
        self.meet(("complaint_promise",), t)
        self.cancel(CASE_CLOCKS, t)
        self.event(t, "resolved_first_contact", str(actor), before, text)

    def hand_off(self, t, actor, to_user, department, problem_type, callback):
        if self.status not in ("open", "handed_off", "replied"):
            return
        g = self.g
        before = self.status
        previous = {"assignee": self.assignee, "department": self.department}
        self.status = "handed_off"
        self.assignee = to_user
        self.department = department
        self.handed_off_at = self.handed_off_at or t
        if problem_type:
            self.problem_type = problem_type
        if callback:
            self.callback_phone, self.callback_note = callback
        self.save(t)
        self.meet(("handoff",), t)
        if "reply" not in self.live:
            self.start("reply", t)
        target = g.world.by_id[to_user]
        data = {
            "from": previous,
            "to_user": to_user,
            "to_department": department,
            "problem_type": problem_type,
            "told_name": target.name,
            "told_extension": target.extension,
            "callback_phone": self.callback_phone,
            "callback_note": self.callback_note,
        }
        self.event(t, "handed_off", str(actor), before, "", js(data))

    def reply(self, t, actor, text):
        if self.status != "handed_off":
            return
        before = self.status
        self.status = "replied"
        self.save(t)
        self.meet(("reply",), t)
        self.event(t, "replied", str(actor), before, text)

    def request_test(self, t, actor):
        if self.status not in ("open", "replied"):
            return
        before = self.status
        self.status = "awaiting_test"
        self.save(t)
        self.cancel(("handoff",), t)
        d = self.start("test_callback", t)
        self.event(
            t,
            "test_requested",
            str(actor),
            before,
            "请客户测试后24小时内反馈结果。",
            js({"report_by": self.g.fmt.iso(d.due)}),
        )

    def test_result(self, t, actor, solved):
        if self.status != "awaiting_test":
            return
        before = self.status
        self.meet(("test_callback",), t)
        if solved:
            self.status = "resolved"
            self.outcome = "customer_confirmed"
            self.resolved_at = t
        else:
            self.status = "open"
        self.save(t)
        if not solved and self.handed_off_at is None:
            self.start("handoff", t)
        self.event(
            t,
            "test_result",
            str(actor),
            before,
            "客户反馈已解决" if solved else "客户反馈仍有问题",
            js({"is_solved": solved}),
        )

    def pause(self, t, actor, reason):
        if self.status not in ("open", "handed_off", "replied"):
            return
        before = self.status
        self.status_before_pause = before
        self.status = "waiting_customer"
        self.save(t)
        running = [d for d in self.live.values() if d.state == "running"]
        self.pause_clocks(t)
        data = {d.kind: str(timedelta(seconds=d.remaining)) for d in running}
        self.event(t, "paused", str(actor), before, reason, js({"deadlines": data}))

    def resume(self, t, actor):
        if self.status != "waiting_customer":
            return
        before = self.status
        self.status = self.status_before_pause or "open"
        self.status_before_pause = ""
        self.save(t)
        paused = [d for d in self.live.values() if d.state == "paused"]
        self.resume_clocks(t)
        data = {d.kind: self.g.fmt.iso(d.due) for d in paused}
        self.event(t, "resumed", str(actor), before, "客户已补充信息", js({"deadlines": data}))

    def resolve(self, t, actor, text):
        if self.status not in ("open", "handed_off", "replied"):
            return
        before = self.status
        self.status = "resolved"
        self.outcome = "resolved"
        self.resolved_at = t
        self.save(t)
        self.meet(ANSWER_CLOCKS, t)
        self.cancel(CASE_CLOCKS, t)
        self.event(t, "resolved", str(actor), before, text)

    def close(self, t, actor):
        if self.status != "resolved":
            return
        if self.kind == "complaint" and self.return_visit is None:
            return  # the close gate: no return visit yet
        before = self.status
        self.status = "closed"
        self.closed_at = t
        self.save(t)
        self.cancel(None, t)
        self.event(t, "closed", str(actor), before)

    def reopen(self, t, actor, reason):
        if self.status not in ("resolved", "closed"):
            return
        before = self.status
        self.status = "open"
        self.outcome = ""
        self.resolved_at = None
        self.closed_at = None
        self.save(t)
        self.start("handoff", t)
        self.event(t, "reopened", str(actor), before, reason)

    def escalate(self, t, actor, reason):
        if self.status not in OPEN_STATUSES:
            return
        self._escalate(t, str(actor), "", reason, {"source": "manual"})

    # evaluations (C5)

    def issue_link(self, t, actor):
        g = self.g
        link = {
            "id": g.next_id("link"),
            "issued_at": t,
            "issued_by": actor,
            "used_at": None,
            "token": f"{g.rng.getrandbits(256):064x}",
        }
        self.links.append(link)
        self.save(t)
        expires = g.fmt.iso(t + 14 * DAY)
        self.event(
            t,
            "evaluation_link",
            str(actor) if actor else NULL,
            self.status,
            f"有效期至 {expires[:16].replace('T', ' ')}。",
            js({"link": link["id"], "expires_at": expires}),
            "" if actor else "system",
        )

    def evaluate(self, t, by_phone_actor, technical, attitude, comment):
        if self.status not in ("resolved", "closed") or self.evaluation is not None or self.kind == "complaint":
            return
        g = self.g
        link = None
        if by_phone_actor is None:
            link = next((x for x in self.links if x["used_at"] is None and x["issued_at"] + 14 * DAY > t), None)
            if link is None:
                return
        for x in self.links:
            if x["used_at"] is None:
                x["used_at"] = t
        evaluation_id = g.next_id("evaluation")
        self.evaluation = {
            "id": evaluation_id,
            "link": link["id"] if link else None,
            "method": "phone" if link is None else "link",
            "technical": technical,
            "attitude": attitude,
            "comment": comment,
            "engineer": self.assignee or self.responder.id,
            "department": self.department,
            "recorded_by": by_phone_actor,
            "at": t,
        }
        self.save(t)
        data = {
            "method": self.evaluation["method"],
            "technical": technical,
            "attitude": attitude,
            "evaluation": evaluation_id,
        }
        self.event(
            t,
            "evaluation_recorded",
            str(by_phone_actor) if by_phone_actor else NULL,
            self.status,
            esc(comment),
            js(data),
            "" if by_phone_actor else "customer",
        )

    # complaints (C1–C3)

    def complaint_accept(self, t, actor, promised_hours):
        g = self.g
        self.start("complaint_promise", t, hours=promised_hours)
        self.event(
            t,
            "note",
            str(actor),
            self.status,
            f"您好，您的投诉已受理，受理编号 {self.reference}，我们将在 {promised_hours} 小时内给您答复。",
            js({"promised_hours": f"{promised_hours:.1f}", "source": None}),
        )
        self.complaint["id"] = g.next_id("complaint")

    def complaint_route(self, t, actor, department):
        head = self.g.world.heads[department]
        self.hand_off(t, actor, head, department, "", None)
        self.complaint.update(department=department, routed_to=head, routed_at=t)

    def complaint_report(self, t, actor, upheld):
        if self.status == "closed":
            return
        self.report = {
            "id": self.g.next_id("report"),
            "upheld": upheld,
            "written_by": actor,
            "written_at": t,
            "approved_by": None,
            "approved_at": None,
        }
        self.complaint["upheld"] = upheld
        self.save(t)
        self.event(
            t,
            "complaint_report",
            str(actor),
            self.status,
            "经调查，问题原因已查明。",
            js({"upheld": upheld, "staff_involved": []}),
        )

    def complaint_approve(self, t, actor):
        if self.report is None or self.report["approved_at"] is not None:
            return
        self.report.update(approved_by=actor, approved_at=t)
        self.save(t)
        self.event(t, "report_approved", str(actor), self.status)

    def complaint_return_visit(self, t, actor, verdict):
        if self.status not in ("resolved", "closed"):
            return
        self.return_visit = {"id": self.g.next_id("return_visit"), "by": actor, "at": t, "verdict": verdict}
        self.save(t)
        data = {"verdict": verdict, "called_at": self.g.fmt.iso(t)}
        self.event(t, "return_visit", str(actor), self.status, "", js(data))

    # walk-in visits (V1–V3, S4, S5)

    def visit_check_in(self, t):
        v = self.visit
        if v["host"]:
            self.event(
                t,
                "host_notified",
                NULL,
                self.status,
                "",
                js({"host": v["host"], "queue_number": v["number_text"]}),
                "system",
            )
            self.start("host_ack", t)
        if v["urgent"]:
            self._wait_alert(t)
        else:
            self.start("visit_wait", t)

    def visit_host_ack(self, t):
        v = self.visit
        if v["host_ack"] is not None:
            return
        v["host_ack"] = t
        self.meet(("host_ack",), t)
        self.event(t, "host_acknowledged", str(v["host"]), self.status)

    def visit_call(self, t, staff):
        v = self.visit
        if v["state"] != "waiting":
            return
        v.update(state="called", staff=staff.id, counter=self.g.counters[staff.id], called_at=t)
        self.meet(("visit_wait",), t)
        self.event(
            t,
            "visit_called",
            str(staff.id),
            self.status,
            "",
            js({"queue_number": v["number_text"], "counter": v["counter"]}),
        )
        if v["wait_alert_at"] is not None:
            self.event(
                t, "taken_over", str(staff.id), self.status, "", js({"staff": staff.id, "suggested": v["suggested"]})
            )

    def visit_serve(self, t):
        v = self.visit
        if v["state"] != "called":
            return
        v.update(state="serving", serving_at=t)
        self.meet(("visit_wait",), t)
        self.start("visit_clarify", t)
        self.event(t, "visit_serving", str(v["staff"]), self.status, "", js({"queue_number": v["number_text"]}))

    def visit_clear(self, t):
        v = self.visit
        if v["state"] != "serving" or "visit_clarify" not in self.live:
            return
        self.meet(("visit_clarify",), t)
        self.event(t, "note", str(v["staff"]), self.status, "问题已明确，升级计时已停止。")

    def visit_finish(self, t, outcome, actor):
        v = self.visit
        if v["state"] == "finished" or (outcome != "left" and v["state"] == "waiting"):
            return
        v.update(state="finished", outcome=outcome, finished_at=t)
        self.cancel(VISIT_CLOCKS, t)
        self.event(
            t, "visit_finished", str(actor), self.status, "", js({"outcome": outcome, "queue_number": v["number_text"]})
        )
        self.resolve_first_contact(t, actor, "已办结" if outcome == "served" else "访客已离开")

    # --- playing a plan --------------------------------------------------------------------

    def play(self, plan, now: int) -> None:
        for t, method, args in plan:
            if t > now:
                break
            self.sweep(t)
            method(t, *args)
        self.sweep(now, final=True)


# --- The generator -------------------------------------------------------------------------------


class Generator:
    def __init__(self, *, tickets: int, seed: int, now: int, years: int, clock, fmt, durations, world):
        self.n = tickets
        self.rng = random.Random(seed)
        self.now = now
        self.start = now - years * 365 * DAY
        self.clock = clock
        self.fmt = fmt
        self.durations = durations  # kind -> (policy id, amount, unit, warn ratio)
        self.world = world
        self.seq = 0
        self.ids = defaultdict(int)
        self.ref_seq: dict[tuple[int, int], int] = defaultdict(int)
        self.queue_seq: dict[tuple[int, str], int] = defaultdict(int)
        self.counters = {s.id: f"{i % 12 + 1}号窗口" for i, s in enumerate(world.reception + world.front_desk)}
        self.stats = defaultdict(int)
        self.detail_reference = None

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def next_id(self, name: str) -> int:
        self.ids[name] += 1
        return self.ids[name]

    # --- when tickets arrive ----------------------------------------------------------------

    def created_times(self) -> list[int]:
        """N acceptance times over the years before now: working days (more each year), mostly in
        working hours; nights and weekends only through the round-the-clock channels."""
        rng, clock = self.rng, self.clock
        first_day = (self.start + OFFSET) // DAY
        last_day = (self.now + OFFSET) // DAY
        days = list(range(first_day, last_day + 1))
        weights, total = [], 0.0
        for i, day in enumerate(days):
            growth = 0.75 + 0.5 * i / len(days)
            total += growth * (1.0 if clock.workday[day - clock.first] else 0.12)
            weights.append(total)
        chosen = rng.choices(days, cum_weights=weights, k=self.n)
        times = []
        for day in chosen:
            base = day * DAY - OFFSET
            tries = 0
            while True:
                tries += 1
                if tries > 20:  # today, early: any moment of it so far
                    t = rng.randrange(base, self.now)
                    break
                if clock.workday[day - clock.first]:
                    r = rng.random()
                    if r < 0.88:  # in the working periods
                        s = rng.randrange(27_000)
                        offset = 9 * HOUR + s if s < 10_800 else 13 * HOUR + 1800 + s - 10_800
                    else:
                        offset = rng.randrange(7 * HOUR, 23 * HOUR)
                else:
                    offset = rng.randrange(8 * HOUR, 21 * HOUR)
                t = base + offset
                if t <= self.now:
                    break
            times.append(t)
        times.sort()
        return times

    # --- plans ---------------------------------------------------------------------------------

    def working_delay(self, window: int, met_share: float) -> int:
        """A delay against a window: mostly well inside it, some warned, some late."""
        r = self.rng.random()
        if r < met_share - 0.08:
            return max(60, int(window * self.rng.uniform(0.02, 0.78)))
        if r < met_share:
            return int(window * self.rng.uniform(0.81, 0.99))
        return int(window * self.rng.uniform(1.02, 2.5))

    def later_working(self, t: int, days_low: float, days_high: float) -> int:
        return self.clock.next_working_moment(t + int(self.rng.uniform(days_low, days_high) * DAY))

    def handoff_target(self, life: Life):
        rng, world = self.rng, self.world
        department = world.target_department()
        problem = rng.choice(("technical_quality", "technical_quality", "service_quality", "sales_business", "other"))
        if rng.random() < 0.7 and world.handlers[department]:
            return rng.choice(world.handlers[department]).id, department, problem if rng.random() < 0.7 else ""
        return world.heads[department], department, problem

    def plan_handoff(self, life: Life, plan: list, t0: int, actor: Staff) -> int:
        """Hand off, maybe wait on the customer, reply, resolve; returns the resolution time."""
        rng, clock = self.rng, self.clock
        t = clock.add(t0, self.working_delay(7200, 0.94))
        to_user, department, problem = self.handoff_target(life)
        callback = None
        if rng.random() < 0.3:
            callback = (life.contact_phone or "13800138000", rng.choice(("工作日下午回电", "上午十点后", "请先发短信")))
        plan.append((t, life.hand_off, (actor.id, to_user, department, problem, callback)))
        reply_window = clock.between(t, clock.add_days(t, 2))
        delay = self.working_delay(reply_window, 0.92)
        base = t
        if rng.random() < 0.04:  # waiting on the customer for a while
            tp = clock.add(t, rng.randrange(600, 10_000))
            tr = self.later_working(tp, 0.5, 4)
            plan.append((tp, life.pause, (to_user, "等待客户补充材料")))
            plan.append((tr, life.resume, (to_user,)))
            before_pause = clock.between(t, tp)
            delay = max(delay, before_pause + 600) - before_pause
            base = tr
        t_reply = clock.add(base, delay)
        plan.append((t_reply, life.reply, (to_user, rng.choice(RESULTS))))
        t_resolve = clock.add(t_reply, rng.randrange(600, 4 * HOUR))
        plan.append((t_resolve, life.resolve, (actor.id, rng.choice(ANSWERS))))
        return t_resolve

    def plan_ticket(self, life: Life) -> list:
        rng, clock = self.rng, self.clock
        c = life.created
        actor = life.responder
        plan = [(c, life.create, ())]
        t_resolved = None
        kind = life.kind
        r = rng.random()
        if kind == "suggestion":
            r = r * 0.6  # mostly recorded and closed at once
        if r < 0.45:  # resolved during the call
            t_resolved = c + rng.randrange(120, 1200)
            plan.append((t_resolved, life.resolve_first_contact, (actor.id, rng.choice(ANSWERS))))
        elif r < 0.88:
            t_resolved = self.plan_handoff(life, plan, c, actor)
        elif r < 0.93 or kind == "after_sales":
            tq = clock.add(c, rng.randrange(300, 5000))
            plan.append((tq, life.request_test, (actor.id,)))
            if rng.random() < 0.7:  # the customer reports
                tr = tq + rng.randrange(HOUR, 23 * HOUR)
                solved = rng.random() < 0.85
                plan.append((tr, life.test_result, (actor.id, solved)))
                t_resolved = tr if solved else self.plan_handoff(life, plan, tr, actor)
            else:  # silence: the sweep counts it solved at the 24th hour
                t_resolved = tq + 24 * HOUR + 5
        else:  # kept open at the desk, answered later
            window = 7200
            delay = int(window * rng.uniform(0.2, 0.78)) if rng.random() < 0.8 else int(window * rng.uniform(1.05, 4))
            t_resolved = clock.add(c, delay)
            plan.append((t_resolved, life.resolve, (actor.id, rng.choice(ANSWERS))))
        # Notes along the way.
        r = rng.random()
        notes = 0 if r < 0.40 else 1 if r < 0.67 else 2 if r < 0.84 else 3 if r < 0.94 else 4
        end = t_resolved if t_resolved and t_resolved > c + 120 else c + 2 * DAY
        for _ in range(notes):
            plan.append((rng.randrange(c + 60, end), life.note, (actor.id, rng.choice(NOTES))))
        self.plan_after(life, plan, t_resolved, actor)
        if rng.random() < 0.004:  # abandoned: left open, long overdue
            plan = plan[: rng.randrange(1, len(plan) + 1)]
        return plan

    def plan_after(self, life: Life, plan: list, t_resolved: int | None, actor: Staff) -> None:
        """Evaluation (~5 % of resolved tickets) and closing (most)."""
        rng = self.rng
        if t_resolved is None:
            return
        if life.kind != "complaint" and rng.random() < 0.055:
            technical = score(rng)
            attitude = min(200, max(-20, technical + rng.choice((-20, -10, 0, 0, 0, 10))))
            comment = rng.choice(EVALUATION_COMMENTS)
            if rng.random() < 0.6:
                plan.append((t_resolved + rng.randrange(5, 600), life.issue_link, (actor.id,)))
                t = t_resolved + rng.randrange(HOUR, 5 * DAY)
                plan.append((t, life.evaluate, (None, technical, attitude, comment)))
            else:
                t = self.later_working(t_resolved, 1, 7)
                plan.append((t, life.evaluate, (actor.id, technical, attitude, comment)))
        if rng.random() < 0.85:
            plan.append((self.later_working(t_resolved, 1, 10), life.close, (actor.id,)))

    def plan_complaint(self, life: Life) -> list:
        rng, world = self.rng, self.world
        c = life.created
        actor = life.responder
        problem = rng.choice(("service_quality", "service_quality", "technical_quality", "sales_business", "other"))
        severity = rng.choices(("minor", "serious", "critical"), weights=(70, 25, 5))[0]
        hours = rng.choices((24, 48, 72, 12), weights=(60, 25, 10, 5))[0]
        life.problem_type = problem
        life.priority = "high" if severity != "minor" else "normal"
        department = next(
            (world.dept_by_code[code] for p, s, code in COMPLAINT_ROUTES if p == problem and s == severity),
            None,
        ) or next(world.dept_by_code[code] for p, s, code in COMPLAINT_ROUTES if p == problem and s == "")
        life.complaint = {
            "problem": problem,
            "severity": severity,
            "hours": hours,
            "department": None,
            "routed_to": None,
            "routed_at": None,
            "upheld": None,
        }
        head = world.heads[department]
        plan = [
            (c, life.create, ()),
            (c, life.complaint_accept, (actor.id, hours)),
            (c, life.complaint_route, (actor.id, department)),
        ]
        span = int(hours * HOUR * (rng.uniform(0.3, 0.95) if rng.random() < 0.88 else rng.uniform(1.02, 1.6)))
        t_resolve = c + span
        plan.append((c + span * 4 // 10, life.complaint_report, (head, rng.random() < 0.4)))
        plan.append((c + span * 6 // 10, life.complaint_approve, (head,)))
        plan.append((c + span * 8 // 10, life.reply, (head, rng.choice(RESULTS))))
        plan.append((t_resolve, life.resolve, (actor.id, rng.choice(ANSWERS))))
        if rng.random() < 0.92:
            t_rv = self.later_working(t_resolve, 1, 3)
            verdict = "satisfied" if rng.random() < 0.88 else "unreachable"
            plan.append((t_rv, life.complaint_return_visit, (actor.id, verdict)))
            plan.append((t_rv + rng.randrange(600, DAY), life.close, (actor.id,)))
        return plan

    def plan_visit(self, life: Life) -> list:
        rng, world = self.rng, self.world
        c = life.created
        purpose, line, label, _weight = rng.choices(PURPOSES, weights=[p[3] for p in PURPOSES])[0]
        day = (c + OFFSET) // DAY
        self.queue_seq[(day, line)] += 1
        number = self.queue_seq[(day, line)]
        host = None
        if purpose == "meet":
            host = rng.choice(world.staff[1:]).id
        urgent = rng.random() < 0.03
        name = person_name_free(rng)
        life.contact_name = name
        life.priority = "urgent" if urgent else "normal"
        life.subject = f"{label}：{name}" + (f" 拜访{world.by_id[host].name}" if host else "")
        life.description = f"排队号 {line}{number:03d}，共 {rng.choice((1, 1, 1, 2, 3))} 人。"
        life.visit = {
            "line": line,
            "day": day,
            "number": number,
            "number_text": f"{line}{number:03d}",
            "name": name,
            "phone": life.contact_phone,
            "purpose": purpose,
            "party": 1,
            "urgent": urgent,
            "host": host,
            "state": "waiting",
            "outcome": "",
            "staff": None,
            "counter": "",
            "checked_in": c,
            "called_at": None,
            "serving_at": None,
            "finished_at": None,
            "host_ack": None,
            "suggested": None,
            "wait_alert_at": None,
        }
        plan = [(c, life.create, ()), (c, life.visit_check_in, ())]
        if host:
            ack = c + (rng.randrange(30, 240) if rng.random() < 0.8 else rng.randrange(330, 900))
            plan.append((ack, life.visit_host_ack, ()))
        staff = rng.choice(world.reception)
        if rng.random() < 0.08:  # left before being called
            plan.append((c + rng.randrange(300, 1800), life.visit_finish, ("left", staff.id)))
        else:
            wait = rng.randrange(20, 175) if rng.random() < 0.82 else rng.randrange(185, 900)
            t_call = c + wait
            t_serve = t_call + rng.randrange(20, 90)
            t_clear = t_serve + rng.randrange(20, 150)
            t_finish = t_clear + rng.randrange(60, 1500)
            plan += [
                (t_call, life.visit_call, (staff,)),
                (t_serve, life.visit_serve, ()),
                (t_clear, life.visit_clear, ()),
                (t_finish, life.visit_finish, ("served", staff.id)),
            ]
            if rng.random() < 0.6:
                plan.append((self.later_working(t_finish, 1, 5), life.close, (staff.id,)))
        return plan

    def plan_detail(self, life: Life, fillers: int) -> list:
        """The ticket of the detail benchmark: a long after-sales case, exactly 50 events."""
        rng = random.Random(50)  # its own: tuning the fillers does not move the other tickets
        clock = self.clock
        world = self.world
        actor = life.responder.id
        eng = world.dept_by_code["engineering"]
        handler, handler2 = world.handlers[eng][0].id, world.handlers[eng][1].id
        plan = [(life.created, life.create, ())]
        t = clock.next_working_moment(life.created)

        def step(minutes: int) -> int:
            nonlocal t
            t = clock.add(t, minutes * 60)
            return t

        for _ in range(3):
            plan.append((step(5), life.note, (actor, rng.choice(NOTES))))
        plan.append((step(10), life.hand_off, (actor, handler, eng, "technical_quality", None)))
        plan.append((step(20), life.note, (handler, rng.choice(NOTES))))
        plan.append((step(30), life.pause, (handler, "等待客户提供设备序列号")))
        plan.append((step(200), life.resume, (handler,)))
        plan.append((step(60), life.note, (handler, rng.choice(NOTES))))
        plan.append((step(90), life.reply, (handler, rng.choice(RESULTS))))
        plan.append((step(20), life.request_test, (actor,)))
        plan.append((t + 5 * HOUR, life.test_result, (actor, False)))
        t = clock.add(t + 5 * HOUR, 60)
        plan.append((step(10), life.hand_off, (actor, handler2, eng, "technical_quality", None)))
        for _ in range(3):
            plan.append((step(15), life.note, (handler2, rng.choice(NOTES))))
        plan.append((step(10), life.escalate, (actor, "客户多次来电，升级处理")))
        plan.append((step(60), life.reply, (handler2, rng.choice(RESULTS))))
        plan.append((step(30), life.resolve, (actor, rng.choice(ANSWERS))))
        plan.append((step(600), life.reopen, (actor, "客户反馈问题复现")))
        plan.append((step(20), life.hand_off, (actor, handler, eng, "technical_quality", None)))
        for _ in range(fillers):
            plan.append((step(12), life.note, (rng.choice((actor, handler)), rng.choice(NOTES))))
        plan.append((step(30), life.reply, (handler, rng.choice(RESULTS))))
        plan.append((step(20), life.resolve, (actor, rng.choice(ANSWERS))))
        plan.append((step(5), life.issue_link, (actor,)))
        plan.append((step(240), life.evaluate, (None, 120, 110, "处理很耐心，谢谢。")))
        plan.append((self.later_working(t, 2, 3), life.close, (actor,)))
        return plan

    def detail_life(self, template: Life, fillers: int) -> Life:
        life = Life(self, template.id, template.created, template.kind, template.channel, template.responder)
        for name in (
            "reference",
            "contact_name",
            "contact_phone",
            "customer",
            "category",
            "priority",
            "subject",
            "description",
        ):
            setattr(life, name, getattr(template, name))
        keep, self.rng = self.rng, random.Random(1)  # its own: the other tickets stay as they are
        life.play(self.plan_detail(life, fillers), self.now)
        self.rng = keep
        return life

    # --- one ticket --------------------------------------------------------------------------

    def ticket(self, tid: int, created: int, special: bool = False) -> Life:
        rng, world = self.rng, self.world
        r = rng.random()
        in_hours = self.clock.is_working(created)
        if special:
            kind = "after_sales"
        elif r < 0.04:
            kind = "visit" if in_hours else "inquiry"  # walk-ins come while the desk is open
        elif r < 0.05:
            kind = "complaint"
        elif r < 0.07:
            kind = "suggestion"
        elif r < 0.27:
            kind = "after_sales"
        else:
            kind = "inquiry"
        if kind == "visit":
            channel = "walk_in"
            responder = rng.choice(world.reception)
        else:
            c = rng.random()
            channel = "phone" if c < 0.5 else "hotline" if c < 0.75 else "online" if c < 0.95 else "api"
            if not in_hours and channel == "phone":
                channel = "hotline"
            responder = world.api_user if channel == "api" else rng.choice(world.front_desk)
        life = Life(self, tid, created, kind, channel, responder)
        # reference: YYYYMMDD-<staff no>-<sequence of the day>
        day = (created + OFFSET) // DAY
        self.ref_seq[(responder.id, day)] += 1
        sequence = self.ref_seq[(responder.id, day)]
        life.reference = f"{self.fmt.day(created).replace('-', '')}-{responder.staff_no}-{sequence:03d}"
        # customer and contact
        life.contact_name = life.contact_phone = ""
        if kind != "visit" and rng.random() < 0.8:
            index = int(len(world.customers) * rng.random() ** 1.6)
            life.customer = index + 1
            life.contact_name, life.contact_phone = world.customers[index]
        elif kind != "visit":
            life.contact_name = person_name_free(rng)
            life.contact_phone = f"1{rng.choice('35789')}{rng.randrange(10**8, 10**9)}"
        else:
            life.contact_phone = f"1{rng.choice('35789')}{rng.randrange(10**8, 10**9)}" if rng.random() < 0.7 else ""
        p = rng.random()
        life.priority = "low" if p < 0.1 else "normal" if p < 0.85 else "high" if p < 0.97 else "urgent"
        c = rng.random()
        if c < 0.75:
            life.category = rng.choice(world.leaf_categories)
        elif c < 0.85:
            life.category = rng.choice(world.parent_categories)
        topic = life.category[1] if life.category else "业务"
        life.subject = f"{topic}{rng.choice(('咨询', '问题', '办理', '反馈', '求助'))}"
        verb = rng.choice(("询问", "反映", "希望办理"))
        life.description = f"客户{life.contact_name or ''}来电，{verb}{topic}相关事宜。"
        if special:
            fillers = 20
            for _attempt in range(10):  # the number of notes that makes exactly 50 events
                seq, ids = self.seq, dict(self.ids)
                trial = self.detail_life(life, fillers)
                self.seq, self.ids = seq, defaultdict(int, ids)
                if len(trial.events) == 50:
                    break
                fillers = max(0, fillers + 50 - len(trial.events))
            life = self.detail_life(life, fillers)
            self.detail_reference = life.reference
            return life
        if kind == "complaint":
            plan = self.plan_complaint(life)
        elif kind == "visit":
            plan = self.plan_visit(life)
        else:
            plan = self.plan_ticket(life)
        plan.sort(key=lambda step: step[0])
        life.play(plan, self.now)
        return life


def score(rng: random.Random) -> int:
    r = rng.random()
    if r < 0.40:
        return 100
    if r < 0.65:
        return rng.choice((110, 120, 130, 150))
    if r < 0.85:
        return rng.choice((80, 90))
    if r < 0.95:
        return rng.choice((50, 60, 70))
    return rng.choice((-20, -10, 0, 20, 40))


# --- Writing rows -----------------------------------------------------------------------------------


class Chunk:
    """The rows of a batch of tickets, as COPY text per table."""

    def __init__(self):
        self.rows = defaultdict(list)


def write_life(gen: Generator, life: Life, chunk: Chunk, events: list, deadlines: list) -> None:
    f = gen.fmt
    ts = f.ts
    rows = chunk.rows
    stats = gen.stats
    stats["tickets"] += 1
    stats[f"status:{life.status}"] += 1
    stats[f"kind:{life.kind}"] += 1
    rows["tickets_ticket"].append(
        "\t".join(
            (
                str(life.id),
                life.reference,
                life.kind,
                life.channel,
                life.status,
                life.priority,
                life.outcome,
                life.problem_type,
                life.contact_name,
                life.contact_phone,
                life.callback_phone,
                life.callback_note,
                life.subject,
                life.description,
                str(life.escalation),
                life.status_before_pause,
                str(life.version),
                ts(life.created),
                ts(life.updated),
                ts(life.handed_off_at),
                ts(life.resolved_at),
                ts(life.closed_at),
                opt(life.assignee),
                opt(life.category[0] if life.category else None),
                opt(life.customer),
                opt(life.department),
                str(life.responder.id),
                NULL,
                "[]",
                NULL,
                NULL,
            )
        )
    )
    events.extend(life.events)
    for d in life.deadlines:
        deadlines.append((d.started, gen.next_seq(), life.id, d))
    v = life.visit
    if v is not None:
        rows["visits_visit"].append(
            "\t".join(
                (
                    str(gen.next_id("visit")),
                    str(life.id),
                    v["line"],
                    f.day(v["checked_in"]),
                    str(v["number"]),
                    v["name"],
                    v["phone"],
                    v["purpose"],
                    str(v["party"]),
                    boolean(v["urgent"]),
                    opt(v["host"]),
                    v["state"],
                    v["outcome"],
                    opt(v["staff"]),
                    v["counter"],
                    ts(v["checked_in"]),
                    ts(v["called_at"]),
                    ts(v["serving_at"]),
                    ts(v["finished_at"]),
                    ts(v["host_ack"]),
                    opt(v["suggested"]),
                    ts(v["wait_alert_at"]),
                    "0",
                    NULL,
                )
            )
        )
        stats["visits"] += 1
    cpl = life.complaint
    if cpl is not None and "id" in cpl:
        rows["complaints_complaint"].append(
            "\t".join(
                (
                    str(cpl["id"]),
                    str(life.id),
                    NULL,
                    cpl["problem"],
                    cpl["severity"],
                    f"{cpl['hours']:.1f}",
                    opt(cpl["department"]),
                    opt(cpl["routed_to"]),
                    ts(cpl["routed_at"]),
                    str(life.responder.id),
                    ts(life.created),
                    boolean(cpl["upheld"]),
                )
            )
        )
        rep = life.report
        if rep is not None:
            rows["complaints_complaintreport"].append(
                "\t".join(
                    (
                        str(rep["id"]),
                        str(cpl["id"]),
                        "已调取通话录音并与相关人员核实情况。",
                        "服务流程执行不到位。",
                        "",
                        "",
                        "加强培训，完善回访机制。",
                        boolean(rep["upheld"]),
                        str(rep["written_by"]),
                        ts(rep["written_at"]),
                        opt(rep["approved_by"]),
                        ts(rep["approved_at"]),
                    )
                )
            )
        rv = life.return_visit
        if rv is not None:
            rows["complaints_returnvisit"].append(
                "\t".join(
                    (
                        str(rv["id"]),
                        str(cpl["id"]),
                        str(rv["by"]),
                        ts(rv["at"]),
                        rv["verdict"],
                        "客户对处理结果表示认可。" if rv["verdict"] == "satisfied" else "",
                        ts(rv["at"]),
                    )
                )
            )
        stats["complaints"] += 1
    for link in life.links:
        rows["complaints_evaluationlink"].append(
            "\t".join(
                (
                    str(link["id"]),
                    str(life.id),
                    link["token"],
                    opt(link["issued_by"]),
                    ts(link["issued_at"]),
                    ts(link["issued_at"] + 14 * DAY),
                    ts(link["used_at"]),
                )
            )
        )
    e = life.evaluation
    if e is not None:
        rows["complaints_evaluation"].append(
            "\t".join(
                (
                    str(e["id"]),
                    str(life.id),
                    opt(e["link"]),
                    e["method"],
                    str(e["technical"]),
                    str(e["attitude"]),
                    esc(e["comment"]),
                    opt(e["engineer"]),
                    opt(e["department"]),
                    opt(e["recorded_by"]),
                    ts(e["at"]),
                    NULL,
                )
            )
        )
        stats["evaluations"] += 1


def flush_events(gen: Generator, chunk: Chunk, events: list, deadlines: list) -> None:
    """Events and deadlines in time order within the chunk (as a live system writes them), with
    their ids; then the sweep's actions of those deadlines."""
    ts = gen.fmt.ts
    events.sort()
    out = chunk.rows["tickets_ticketevent"]
    for t, _seq, tid, actor, label, type_, before, after, note, data in events:
        out.append(
            f"{gen.next_id('event')}\t{tid}\t{actor}\t{label}\t{ts(t)}\t{type_}\t{before}\t{after}\t{note}\t{data}"
        )
    gen.stats["events"] += len(events)
    deadlines.sort(key=lambda item: (item[0], item[1]))
    out = chunk.rows["tickets_deadline"]
    actions = []
    stats = gen.stats
    for _started, _seq, tid, d in deadlines:
        d.id = gen.next_id("deadline")
        out.append(
            "\t".join(
                (
                    str(d.id),
                    str(tid),
                    d.kind,
                    d.state,
                    opt(d.policy),
                    f"{d.amount:.2f}",
                    d.unit,
                    f"{d.ratio:.2f}",
                    ts(d.started),
                    ts(d.anchor),
                    interval(d.remaining),
                    interval(d.window),
                    ts(d.due),
                    ts(d.warn),
                    ts(d.paused_at),
                    interval(d.paused_total),
                    ts(d.warned),
                    ts(d.breached),
                    ts(d.met),
                    ts(d.cancelled),
                    str(d.level),
                    ts(d.settled),
                    interval(d.used),
                    boolean(d.provisional),
                    ts(d.next),
                    opt(d.department),
                )
            )
        )
        for action, level, due_at, acted_at in d.actions:
            actions.append((acted_at, d.id, action, level, due_at))
        if d.settled is not None:
            stats["deadlines settled"] += 1
            if d.breached is None and d.state == "met" and d.used <= d.window:
                stats["deadlines met in time"] += 1
    stats["deadlines"] += len(deadlines)
    actions.sort()
    out = chunk.rows["tickets_slaaction"]
    for acted_at, deadline_id, action, level, due_at in actions:
        out.append(f"{gen.next_id('slaaction')}\t{deadline_id}\t{action}\t{level}\t{ts(due_at)}\t{ts(acted_at)}")
    events.clear()
    deadlines.clear()


# --- The database side ------------------------------------------------------------------------------


class Loader:
    """COPY on a raw psycopg2 connection, in one transaction; a thread does the COPYs so that
    generating the next chunk overlaps loading this one."""

    def __init__(self, connection):
        self.conn = connection
        self.cur = connection.cursor()
        self.seconds = defaultdict(float)
        self.rows = defaultdict(int)
        self.queue: queue.Queue = queue.Queue(maxsize=2)
        self.error: BaseException | None = None
        self.thread = None

    def copy(self, table: str, lines: list[str], *, freeze: bool = False) -> None:
        if not lines:
            return
        started = time.perf_counter()
        payload = ("\n".join(lines) + "\n").encode()
        options = " WITH (FREEZE)" if freeze else ""
        # One read of the whole buffer: each read takes the GIL, which the generating thread holds.
        self.cur.copy_expert(
            f"COPY {table} ({COLUMNS[table]}) FROM STDIN{options}", io.BytesIO(payload), size=len(payload)
        )
        self.seconds[table] += time.perf_counter() - started
        self.rows[table] += len(lines)

    def start(self) -> None:
        def work():
            while True:
                item = self.queue.get()
                if item is None:
                    return
                if self.error is not None:
                    continue
                try:
                    for table, lines in item:
                        self.copy(table, lines, freeze=table in BULK_TABLES)
                except BaseException as exc:  # handed to the main thread
                    self.error = exc

        self.thread = threading.Thread(target=work, name="copy", daemon=True)
        self.thread.start()

    def put(self, chunk: Chunk) -> None:
        if self.error is not None:
            raise self.error
        self.queue.put([(table, chunk.rows[table]) for table in COLUMNS if chunk.rows.get(table)])

    def finish(self) -> None:
        self.queue.put(None)
        self.thread.join()
        if self.error is not None:
            raise self.error

    def query(self, sql: str, params=None) -> list:
        self.cur.execute(sql, params)
        return self.cur.fetchall() if self.cur.description else []


def drop_constraints(loader: Loader) -> dict:
    """Every foreign key of the schema, and the secondary indexes and unique constraints of the
    large tables: dropped now, their definitions kept to rebuild them."""
    saved = {"fks": [], "uniques": [], "indexes": []}
    saved["fks"] = loader.query(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE contype = 'f' AND connamespace = 'public'::regnamespace ORDER BY 1, 2"
    )
    for table, name, _definition in saved["fks"]:
        loader.query(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for table in BULK_TABLES:
        uniques = loader.query(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass "
            "AND contype = 'u' ORDER BY 1",
            [table],
        )
        for name, definition in uniques:
            saved["uniques"].append((table, name, definition))
            loader.query(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        indexes = loader.query(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "WHERE i.indrelid = %s::regclass AND NOT i.indisprimary "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) ORDER BY 1",
            [table],
        )
        for name, definition in indexes:
            saved["indexes"].append((table, name, definition))
            loader.query(f"DROP INDEX {name}")
    return saved


def rebuild_constraints(loader: Loader, saved: dict, timings: dict) -> None:
    loader.query("SET maintenance_work_mem = '1GB'")
    loader.query("SET max_parallel_maintenance_workers = 2")
    for table, _name, definition in saved["indexes"]:
        started = time.perf_counter()
        loader.query(definition)
        timings[table] += time.perf_counter() - started
    for table, name, definition in saved["uniques"]:
        started = time.perf_counter()
        loader.query(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        timings[table] += time.perf_counter() - started
    for table, name, definition in saved["fks"]:
        started = time.perf_counter()
        loader.query(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        timings[f"{table} (foreign keys)"] += time.perf_counter() - started


def small_tables(loader: Loader, gen: Generator, world: World) -> None:
    f = gen.fmt
    joined = f.ts(gen.start - 400 * DAY)
    users = []
    for s in [*world.staff, world.api_user]:
        users.append(
            "\t".join(
                (
                    str(s.id),
                    "!" + hashlib.sha256(s.username.encode()).hexdigest()[:40],
                    NULL,
                    "f",
                    s.username,
                    s.name,
                    "",
                    f"{s.username}@example.com",
                    "t" if s.role == "admin" else "f",
                    "t",
                    joined,
                )
            )
        )
    loader.copy("auth_user", users)
    loader.copy(
        "tickets_department",
        [f"{i}\t{name}\t{code}\tt\t{world.heads[i]}" for i, code, name, _w in world.departments],
    )
    loader.copy(
        "tickets_staffprofile",
        [
            f"{s.id}\t{s.id}\t{s.staff_no}\t{s.extension}\t{opt(s.department)}\t{s.role}"
            for s in [*world.staff, world.api_user]
        ],
    )
    loader.copy(
        "tickets_category",
        [f"{cid}\t{name}\t{opt(parent)}\tt\t{sort}" for cid, name, parent, sort in world.categories],
    )
    loader.copy(
        "tickets_problemroute",
        [f"{i}\t{p}\t{world.dept_by_code[code]}" for i, (p, code) in enumerate(PROBLEM_ROUTES.items(), start=1)],
    )
    loader.copy(
        "complaints_complaintroute",
        [f"{i}\t{p}\t{s}\t{world.dept_by_code[code]}\tt" for i, (p, s, code) in enumerate(COMPLAINT_ROUTES, start=1)],
    )
    now = gen.now
    loader.copy(
        "visits_counterpresence",
        [
            f"{i}\t{s.id}\t{'t' if i % 3 else 'f'}\t{gen.counters[s.id]}\t{f.ts(now - 3600 * (i % 5))}"
            for i, s in enumerate(world.reception, start=1)
        ],
    )
    scopes = json.dumps(
        [
            f"{r}:{a}"
            for r in ("tickets", "visits", "complaints", "evaluations", "customers", "stats", "webhooks")
            for a in ("read", "write")
        ]
    )
    loader.copy(
        "tickets_apiclient",
        [
            f"1\tcrm\t301\t{gen.rng.getrandbits(32):08x}\t{gen.rng.getrandbits(256):064x}\t{scopes}\t{joined}\t"
            f"{NULL}\t{NULL}\t{f.ts(now - 120)}"
        ],
    )
    customers = []
    for i, (name, phone) in enumerate(world.customers, start=1):
        company = ""
        if i % 7 == 0:
            company = f"{CITIES[i % len(CITIES)]}{FIRMS[i % len(FIRMS)]}{TRADES[i % len(TRADES)]}有限公司"
        id_number = ""
        if i % 3 == 0:
            id_number = f"3101{i % 100:02d}19{70 + i % 30}{i % 12 + 1:02d}{i % 28 + 1:02d}{i % 10000:04d}"
        alt = f"1{3 + i % 7}{(i * 7919) % 10**9:09d}" if i % 11 == 0 else ""
        created = gen.start - (i % 365) * DAY - 3600
        customers.append(f"{i}\t{name}\t{phone}\t{alt}\t{company}\t{id_number}\t{NULL}\t{f.ts(created)}")
    loader.copy("tickets_customer", customers, freeze=True)


def set_sequences(loader: Loader) -> None:
    tables = [
        *BULK_TABLES,
        "auth_user",
        "tickets_department",
        "tickets_staffprofile",
        "tickets_category",
        "tickets_problemroute",
        "complaints_complaintroute",
        "visits_counterpresence",
        "tickets_apiclient",
    ]
    for table in tables:
        loader.query(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT MAX(id) FROM {table}), 1), "
            f"(SELECT MAX(id) FROM {table}) IS NOT NULL)"
        )


# --- Main -----------------------------------------------------------------------------------------


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=int(os.environ.get("BENCH_TICKETS", 1_000_000)))
    parser.add_argument("--seed", type=int, default=20260901)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--chunk", type=int, default=20_000, help="tickets per COPY batch")
    parser.add_argument("--now", help="the data set's 'now' (ISO 8601, default: the current time)")
    parser.add_argument(
        "--summary",
        default=os.environ.get("BENCH_SUMMARY", "var/bench-generate.json"),
        help="where to write the timings (read by bench.measure)",
    )
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import DatabaseError, connection

    from bench.workclock import WorkClock
    from tickets.calendars import business_calendar_get
    from tickets.models import SlaPolicy, Ticket

    wall = time.perf_counter()
    timings: dict[str, float] = {}

    def lap(name: str, started: float) -> None:
        timings[name] = time.perf_counter() - started
        print(f"  {name}: {timings[name]:.1f} s", flush=True)

    if connection.vendor != "postgresql":
        print("The generator needs PostgreSQL (DATABASE_URL=postgres://…).", file=sys.stderr)
        return 2
    if Ticket.objects.exists():
        print(
            f"Database {connection.settings_dict['NAME']} already holds tickets: generate into a fresh, migrated "
            "database (make bench recreates one).",
            file=sys.stderr,
        )
        return 2
    if args.now:
        now_dt = datetime.fromisoformat(args.now)
        if now_dt.tzinfo is None:
            print("--now needs a time zone, e.g. 2026-11-30T15:00:00+08:00", file=sys.stderr)
            return 2
    else:
        now_dt = datetime.now(tz=UTC)
    now = int(now_dt.timestamp())
    print(
        f"Generating {args.tickets:,} tickets over {args.years} years up to {now_dt.isoformat(timespec='seconds')} "
        f"(seed {args.seed}) into {connection.settings_dict['NAME']}",
        flush=True,
    )

    started = time.perf_counter()
    call_command("seed_calendar", stdout=io.StringIO())
    calendar = business_calendar_get(fresh=True)
    first = datetime.fromtimestamp(now - args.years * 365 * DAY - 30 * DAY, tz=UTC).date()
    last = datetime.fromtimestamp(now + 200 * DAY, tz=UTC).date()
    clock = WorkClock(calendar, first, last)
    clock.self_check(now - args.years * 365 * DAY, now, samples=500)
    policies = {
        p.deadline_kind: p
        for p in SlaPolicy.objects.filter(is_active=True, ticket_kind="", priority="", category__isnull=True)
    }
    durations = {}
    from tickets.deadlines import DEFAULT_DURATIONS

    for kind, (amount, unit) in DEFAULT_DURATIONS.items():
        policy = policies.get(kind)
        if policy is not None:
            ratio = float(policy.warn_ratio) if policy.warn_ratio is not None else 0.8
            durations[kind] = (policy.pk, float(policy.amount), policy.unit, ratio)
        else:
            durations[kind] = (None, float(amount), unit, 0.8)
    fmt = Fmt((now - args.years * 365 * DAY) // DAY - 40, now // DAY + 220)
    world = World(random.Random(args.seed), args.tickets)
    gen = Generator(
        tickets=args.tickets,
        seed=args.seed + 1,
        now=now,
        years=args.years,
        clock=clock,
        fmt=fmt,
        durations=durations,
        world=world,
    )
    lap("calendar, staff and customers prepared", started)

    import psycopg2

    settings_dict = connection.settings_dict
    raw = psycopg2.connect(
        dbname=settings_dict["NAME"],
        user=settings_dict["USER"],
        password=settings_dict["PASSWORD"] or None,
        host=settings_dict["HOST"] or None,
        port=settings_dict["PORT"] or None,
    )
    loader = Loader(raw)
    loader.query("SET synchronous_commit = off")
    started = time.perf_counter()
    saved = drop_constraints(loader)
    loader.query("TRUNCATE " + ", ".join(BULK_TABLES))
    lap(
        f"dropped {len(saved['fks'])} foreign keys, {len(saved['indexes'])} indexes and "
        f"{len(saved['uniques'])} unique constraints",
        started,
    )

    started = time.perf_counter()
    small_tables(loader, gen, world)
    lap(f"staff, departments, call reasons, routes and {len(world.customers):,} customers loaded", started)

    started = time.perf_counter()
    times = gen.created_times()
    lap("acceptance times drawn", started)
    special_index = min(range(len(times)), key=lambda i: abs(times[i] - (now - 45 * DAY)))

    started = time.perf_counter()
    loader.start()
    chunk, events, deadlines = Chunk(), [], []
    waiting = 0.0  # for the COPY thread to take the next chunk
    last_report = time.perf_counter()
    for index, created in enumerate(times):
        life = gen.ticket(index + 1, created, special=index == special_index)
        write_life(gen, life, chunk, events, deadlines)
        if (index + 1) % args.chunk == 0 or index + 1 == len(times):
            flush_events(gen, chunk, events, deadlines)
            put_started = time.perf_counter()
            loader.put(chunk)
            waiting += time.perf_counter() - put_started
            chunk = Chunk()
            if time.perf_counter() - last_report > 10 or index + 1 == len(times):
                last_report = time.perf_counter()
                elapsed = last_report - started
                print(
                    f"    {index + 1:>10,} tickets  {gen.stats['events']:>11,} events  "
                    f"{(index + 1) / elapsed:,.0f} tickets/s",
                    flush=True,
                )
    # Where the numbering continues: reference sequences and queue counters.
    tail = Chunk()
    staff_no = {s.id: s.staff_no for s in [*world.staff, world.api_user]}
    tail.rows["tickets_ticketsequence"] = [
        f"{i}\t{staff_no[uid]}\t{fmt.day(day * DAY)}\t{value}"
        for i, ((uid, day), value) in enumerate(sorted(gen.ref_seq.items()), start=1)
    ]
    tail.rows["visits_queuecounter"] = [
        f"{i}\t{fmt.day(day * DAY)}\t{line}\t{value}"
        for i, ((day, line), value) in enumerate(sorted(gen.queue_seq.items()), start=1)
    ]
    loader.put(tail)
    put_started = time.perf_counter()
    loader.finish()
    waiting += time.perf_counter() - put_started
    lap("tickets generated and copied", started)
    print(f"    (of which waiting for COPY to catch up: {waiting:.1f} s)")
    timings["of which waiting for COPY"] = waiting

    started = time.perf_counter()
    rebuild = defaultdict(float)
    rebuild_constraints(loader, saved, rebuild)
    set_sequences(loader)
    lap("indexes, unique constraints and foreign keys rebuilt and validated", started)
    started = time.perf_counter()
    raw.commit()
    lap("committed", started)

    started = time.perf_counter()
    raw.autocommit = True
    vacuumed = defaultdict(float)
    for table in [*BULK_TABLES, "auth_user", "tickets_staffprofile", "tickets_department", "tickets_category"]:
        table_started = time.perf_counter()
        loader.query(f"VACUUM (ANALYZE) {table}")
        vacuumed[table] = time.perf_counter() - table_started
    lap("vacuumed and analysed", started)
    raw.close()

    started = time.perf_counter()
    from complaints.models_evaluations import EvaluationSettings
    from complaints.stats import complaint_months_close_due

    EvaluationSettings.load()
    closed = complaint_months_close_due(now=now_dt)
    lap(f"{len(closed)} finished months' complaint figures frozen (the daily task's work)", started)

    started = time.perf_counter()
    from tickets.services_sla_rollup import sla_rollup_due

    rolled = sla_rollup_due(now=now_dt)
    lap(f"{len(rolled)} closed days' SLA counts rolled up (the hourly task's work)", started)

    total = time.perf_counter() - wall
    print("\nPer table: rows, COPY time, index and constraint rebuild, VACUUM ANALYZE")
    for table in ["auth_user", *BULK_TABLES]:
        rows = loader.rows.get(table, 0)
        fks = rebuild.get(f"{table} (foreign keys)", 0.0)
        print(
            f"  {table:<28} {rows:>11,}  copy {loader.seconds.get(table, 0):6.1f} s  "
            f"indexes {rebuild.get(table, 0):5.1f} s  fks {fks:5.1f} s  "
            f"vacuum {vacuumed.get(table, 0):5.1f} s"
        )
    s = gen.stats
    settled = s["deadlines settled"] or 1
    print(
        f"\n{s['tickets']:,} tickets, {s['events']:,} events ({s['events'] / max(s['tickets'], 1):.2f} a ticket), "
        f"{s['deadlines']:,} deadlines ({s['deadlines met in time'] / settled:.1%} of the settled ones met in time), "
        f"{s['visits']:,} visits, {s['complaints']:,} complaints, {s['evaluations']:,} evaluations"
    )
    print("Statuses: " + ", ".join(f"{k[7:]} {v:,}" for k, v in sorted(s.items()) if k.startswith("status:")))
    print(f"Generated in {total:.0f} s ({s['tickets'] / total:,.0f} tickets/s overall).")
    print(f"The ticket with 50 events: {gen.detail_reference}")

    started = time.perf_counter()
    verify(gen, now_dt)
    lap("checked", started)

    # The measurements come next: write the generation's dirty pages out now, so the server's
    # checkpointer does not do it while they run (it needs a superuser or pg_checkpoint).
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("CHECKPOINT")
        lap("checkpoint (dirty pages written before measuring)", started)
    except DatabaseError as error:
        print(f"No CHECKPOINT ({error}); the measurements may share the disk with the checkpointer.")

    summary = {
        "tickets": s["tickets"],
        "seed": args.seed,
        "now": now_dt.isoformat(),
        "seconds": round(total, 1),
        "tickets_per_second": round(s["tickets"] / total),
        "steps": {k: round(v, 1) for k, v in timings.items()},
        "copy_seconds": {k: round(v, 1) for k, v in loader.seconds.items()},
        "rebuild_seconds": {k: round(v, 1) for k, v in rebuild.items()},
        "rows": dict(loader.rows),
        "events_per_ticket": round(s["events"] / max(s["tickets"], 1), 2),
        "met_in_time_share": round(s["deadlines met in time"] / settled, 3),
        "detail_reference": gen.detail_reference,
    }
    path = Path(args.summary)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"Timings written to {path}")
    return 0


def verify(gen: Generator, now_dt: datetime) -> None:
    """Prove the data is usable through the application: Django's checks, the ticket list a
    supervisor sees, the SLA figures, the 50-event ticket."""
    from django.core.management import call_command
    from django.db.models import Count

    from tickets.models import Deadline, StaffProfile, TicketEvent
    from tickets.selectors import ticket_get_detail, ticket_list_visible
    from tickets.selectors_sla import sla_compliance
    from tickets.sla import SHANGHAI
    from tickets.stats_scope import stats_scope_for

    call_command("check", verbosity=0)
    supervisor = StaffProfile.objects.filter(role="supervisor").select_related("user").first().user
    page = list(ticket_list_visible(user=supervisor).order_by("-created_at", "-id")[:25])
    print(f"  a supervisor's ticket list: {len(page)} tickets on the first page, newest {page[0].reference}")
    today = now_dt.astimezone(SHANGHAI).date()
    figures = sla_compliance(scope=stats_scope_for(supervisor), date_from=today - timedelta(days=29), date_to=today)
    for figure in figures:
        share = f"{figure.compliance:.1%}" if figure.compliance is not None else "—"
        print(f"  SLA last 30 days, {figure.kind}: {figure.total:,} settled, {share} met in time")
    ticket = ticket_get_detail(user=supervisor, reference=gen.detail_reference)
    count = TicketEvent.objects.filter(ticket=ticket).count()
    print(f"  {ticket.reference}: {count} events, status {ticket.status}")
    assert count == 50, count
    due = Deadline.objects.due_for_sweep(now_dt).count()
    print(f"  deadlines the sweep still had to act on at 'now': {due}")
    assert due == 0, due
    statuses = dict(
        TicketEvent.objects.filter(ticket=ticket).values_list("type").annotate(n=Count("id")).values_list("type", "n")
    )
    assert statuses.get("created") == 1
    checked = full_clean_sample()
    print(f"  Django's validation (full_clean: fields, choices, foreign keys, constraints) of {checked} sampled rows")


def full_clean_sample(per_model: int = 25) -> int:
    """Validate rows spread over each generated table as a form would: every field's value,
    choice and length, the foreign keys and the unique and check constraints."""
    from django.apps import apps
    from django.db.models import Max

    models = [
        "auth.User",
        "tickets.Department",
        "tickets.StaffProfile",
        "tickets.Category",
        "tickets.Customer",
        "tickets.Ticket",
        "tickets.TicketEvent",
        "tickets.Deadline",
        "tickets.SlaAction",
        "tickets.TicketSequence",
        "tickets.ApiClient",
        "visits.Visit",
        "visits.QueueCounter",
        "visits.CounterPresence",
        "complaints.Complaint",
        "complaints.ComplaintRoute",
        "complaints.ComplaintReport",
        "complaints.ReturnVisit",
        "complaints.Evaluation",
        "complaints.EvaluationLink",
    ]
    count = 0
    for label in models:
        model = apps.get_model(label)
        top = model.objects.aggregate(top=Max("pk"))["top"] or 0
        step = max(1, top // per_model)
        for row in model.objects.filter(pk__in=range(1, top + 1, step)):
            row.full_clean()
            count += 1
    return count


if __name__ == "__main__":
    sys.exit(main())
