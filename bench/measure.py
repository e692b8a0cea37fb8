"""Measure the pages, the API, the dashboards and the sweep on the benchmark data set (issue 9).

    DATABASE_URL=postgres://…/servicedesk_bench python -m bench.measure

In-process, through Django's test client (the whole request: middleware, session, view, queries,
templates or serializers; no network, no web server): a supervisor and a front-desk member of
staff signed in with force_login, and an API key made for the run. Each measurement is run once
to warm up, once more to count its SQL queries (CaptureQueriesContext), then timed --runs times
(or for --budget seconds, at least 5 runs; 3 when one run takes over a tenth of the budget): the
median and the 95th percentile (nearest rank).

Prints a markdown table and writes bench/results/<YYYY-MM-DD>.md with the machine's CPU count,
PostgreSQL's version and settings, the row counts and the issue's targets, pass or fail.
Read-only apart from the run's API client (replaced each run) and the key's last-used time; the
200 waiting visitors of the lobby-board measurement are added in a transaction rolled back after.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

from bench.common import django_on_postgres

TABLES = [
    "tickets_ticket",
    "tickets_ticketevent",
    "tickets_deadline",
    "tickets_slaaction",
    "tickets_customer",
    "tickets_ticketsequence",
    "visits_visit",
    "visits_queuecounter",
    "complaints_complaint",
    "complaints_complaintreport",
    "complaints_returnvisit",
    "complaints_evaluation",
    "complaints_evaluationlink",
    "complaints_complaintratesnapshot",
    "tickets_staffprofile",
    "tickets_department",
    "tickets_category",
]
# What this tool does not measure. bench.load, bench.sweep and bench.firing measure the first three
# after it (make bench); bench.report then replaces their entries by sections (keyed by tool).
NOT_MEASURED_YET = {
    "load": "Load: gunicorn (workers = 2 × cores) driven by wrk or locust from a second process on loopback — "
    "create-ticket throughput (target ≥ 300 tickets/s, 0 errors) and list latency under 32 concurrent clients.",
    "sweep": "The SLA sweep with 10,000 deadlines due at once (target: processed in under 30 s, exactly once).",
    "firing": "Firing latency with the real Celery worker and beat: due time to recorded action, p50 and p99 over "
    "200 deadlines (target p99 under 10 s).",
}


@dataclass
class Result:
    group: str
    name: str
    target_ms: float | None
    target_note: str = ""
    runs: int = 0
    median_ms: float = 0.0
    p95_ms: float = 0.0
    queries: int = 0
    error: str = ""
    samples: list[float] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        if self.error:
            return f"ERROR: {self.error}"
        if self.target_ms is None:
            return "— (no target)"
        if self.p95_ms <= self.target_ms:
            return "pass"
        return f"**FAIL** ×{self.p95_ms / self.target_ms:.1f} (+{self.p95_ms - self.target_ms:,.0f} ms)"


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def run(result: Result, fn, *, runs: int, budget: float) -> Result:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    try:
        fn()  # warm-up: caches, the connection, PostgreSQL's buffers
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as captured:
            fn()
        result.queries = len(captured)
        # A measurement that takes seconds a run stops at 3 runs: its p95 is then its slowest run.
        least = 5 if time.perf_counter() - started < budget / 10 else 3
        samples = []
        started = time.perf_counter()
        while len(samples) < runs and (len(samples) < least or time.perf_counter() - started < budget):
            t = time.perf_counter()
            fn()
            samples.append((time.perf_counter() - t) * 1000)
    except Exception as exc:  # reported in the table, the other measurements go on
        result.error = f"{type(exc).__name__}: {exc}"[:200]
        return result
    result.samples = samples
    result.runs = len(samples)
    result.median_ms = statistics.median(samples)
    result.p95_ms = p95(samples)
    return result


def get(client, url: str, **headers):
    """A GET that must answer 200."""

    def call():
        response = client.get(url, **headers)
        if response.status_code != 200:
            raise AssertionError(f"GET {url} answered {response.status_code}")
        if getattr(response, "streaming", False):
            b"".join(response.streaming_content)
        else:
            response.content  # noqa: B018 — the whole body is produced
        return response

    return call


def fmt_ms(value: float) -> str:
    return f"{value:,.1f}" if value < 100 else f"{value:,.0f}"


def table(results: list[Result]) -> str:
    lines = [
        "| # | measurement | runs | median ms | p95 ms | queries | target (p95) | result |",
        "|---|---|---:|---:|---:|---:|---|---|",
    ]
    for i, r in enumerate(results, start=1):
        target = f"< {r.target_ms:,.0f} ms" if r.target_ms is not None else "—"
        if r.target_note:
            target += f" ({r.target_note})"
        if r.error:
            lines.append(f"| {i} | {r.group}: {r.name} | 0 | — | — | — | {target} | {r.verdict} |")
            continue
        lines.append(
            f"| {i} | {r.group}: {r.name} | {r.runs} | {fmt_ms(r.median_ms)} | {fmt_ms(r.p95_ms)} | {r.queries} | "
            f"{target} | {r.verdict} |"
        )
    return "\n".join(lines)


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m bench.measure", description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_RUNS", 30)))
    parser.add_argument(
        "--budget",
        type=float,
        default=float(os.environ.get("BENCH_BUDGET", 30)),
        help="seconds per measurement after which it stops at 5 runs or more",
    )
    parser.add_argument("--out", default="bench/results", help="folder of the results file")
    parser.add_argument("--name", help="the results file's name without .md (default: today's date)")
    parser.add_argument("--summary", default=os.environ.get("BENCH_SUMMARY", "var/bench-generate.json"))
    parser.add_argument("--only", help="only measurements whose name contains this (no results file)")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if not django_on_postgres("The benchmark"):
        return 2
    from django.db.models import Count
    from django.test import Client
    from django.utils import timezone

    from tickets import api_keys
    from tickets.dashboards.filters import DashboardFilterForm
    from tickets.dashboards.pages import _PANELS, dashboard_pages
    from tickets.deadlines import sla_sweep
    from tickets.models import ApiClient, Customer, Deadline, Department, StaffProfile, Ticket, TicketEvent
    from tickets.selectors import ticket_list_visible
    from tickets.selectors_search import ticket_search
    from tickets.stats_scope import stats_scope_for

    if not Ticket.objects.exists():
        print("No tickets: run python -m bench.generate first (make bench does both).", file=sys.stderr)
        return 2
    now = timezone.now()
    today = timezone.localdate(now)

    # --- who and what ---------------------------------------------------------------------------
    supervisor = StaffProfile.objects.filter(role="supervisor", user__is_active=True).order_by("pk").first().user
    staff = (
        StaffProfile.objects.filter(role="front_desk", user__is_active=True, department__code="customer_service")
        .order_by("pk")
        .first()
        or StaffProfile.objects.filter(role="front_desk", user__is_active=True).order_by("pk").first()
    ).user
    old = ApiClient.objects.filter(name="bench-measure").select_related("user").first()
    if old is not None:
        user = old.user
        old.delete()
        user.delete()
    _client, key = api_keys.api_client_create(name="bench-measure")
    department = Department.objects.filter(code="engineering").first() or Department.objects.order_by("pk").first()
    detail = TicketEvent.objects.values("ticket_id").annotate(n=Count("id")).filter(n=50).order_by("ticket_id").first()
    detail_ref = Ticket.objects.get(pk=detail["ticket_id"]).reference if detail else None
    frequent = (
        Ticket.objects.filter(customer__isnull=False).values("customer").annotate(n=Count("id")).order_by("-n").first()
    )
    frequent_customer = Customer.objects.get(pk=frequent["customer"])
    phone = "".join(ch for ch in frequent_customer.phone if ch.isdigit())
    customer_name = frequent_customer.name
    year_ago = now - timedelta(days=365)
    reference = (
        Ticket.objects.filter(created_at__lte=year_ago, first_responder__staff__role="front_desk")
        .order_by("-created_at")
        .values_list("reference", flat=True)
    ).first()
    first_due = (
        Deadline.objects.filter(state="running", next_action_at__isnull=False)
        .order_by("next_action_at")
        .values_list("next_action_at", flat=True)
        .first()
    )
    quiet_now = min(now, first_due - timedelta(seconds=1)) if first_due else now

    as_supervisor, as_staff, as_api = Client(), Client(), Client()
    as_supervisor.force_login(supervisor)
    as_staff.force_login(staff)
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {key}"}

    measurements = []  # (Result, fn)

    def add(group, name, target, fn, note=""):
        measurements.append((Result(group, name, target, note), fn))

    overdue_html = f"/tickets/?overdue=on&department={department.pk}"
    overdue_api = f"/api/v1/tickets/?overdue=true&department={department.code}"
    add("ticket list", "HTML, supervisor, default", 50, get(as_supervisor, "/tickets/"))
    add("ticket list", f"HTML, supervisor, overdue + {department.code}", 50, get(as_supervisor, overdue_html))
    add("ticket list", "HTML, front desk, default", 50, get(as_staff, "/tickets/"))
    add("ticket list", f"HTML, front desk, overdue + {department.code}", 50, get(as_staff, overdue_html))
    add("ticket list", "API, key, default", 50, get(as_api, "/api/v1/tickets/", **bearer))
    add("ticket list", f"API, key, overdue + {department.code}", 50, get(as_api, overdue_api, **bearer))
    add("ticket list", "API, front desk (session), default", 50, get(as_staff, "/api/v1/tickets/"))
    add("ticket list", f"API, front desk (session), overdue + {department.code}", 50, get(as_staff, overdue_api))
    if detail_ref:
        add("ticket detail", "HTML, 50 events", 30, get(as_supervisor, f"/tickets/{detail_ref}/"))
        add("ticket detail", "API, 50 events", 30, get(as_api, f"/api/v1/tickets/{detail_ref}/", **bearer))
        events_url = f"/api/v1/tickets/{detail_ref}/events/"
        add("ticket detail", "API events, 50 events", 30, get(as_api, events_url, **bearer))
    add("search", f"by phone (list ?q={phone})", 20, get(as_supervisor, f"/tickets/?q={phone}"))
    add("search", f"by reference (list ?q={reference})", 20, get(as_supervisor, f"/tickets/?q={reference}"))
    htmx = {"HTTP_HX_REQUEST": "true"}  # the rows only: what the search box fetches as staff type
    add("search", f"by phone (list rows, htmx, ?q={phone})", 20, get(as_supervisor, f"/tickets/?q={phone}", **htmx))
    add(
        "search",
        f"by last 4 digits (list rows, htmx, ?q={phone[-4:]})",
        20,
        get(as_supervisor, f"/tickets/?q={phone[-4:]}", **htmx),
    )
    add("search", f"by phone (API ?search={phone})", 20, get(as_api, f"/api/v1/tickets/?search={phone}", **bearer))
    add(
        "search",
        f"by customer name (list rows, htmx, ?q={customer_name})",
        None,
        get(as_supervisor, f"/tickets/?q={quote(customer_name)}", **htmx),
    )

    # The search itself, without the page around it: the first page of a supervisor's matches
    # (ids, newest first) through the selector the list and the API share.
    def searched(text):
        def find():
            visible = ticket_list_visible(user=supervisor)
            return list(ticket_search(visible, text).order_by("-created_at", "-id").values_list("pk", flat=True)[:25])

        return find

    for label, text in (("phone", phone), ("last 4 digits", phone[-4:]), ("reference", reference)):
        add("search", f"the search itself, by {label} ({text}): selector, first 25 matches", 20, searched(text))

    scope = stats_scope_for(supervisor)
    ranges = [("30 days", today - timedelta(days=29), 200), ("1 year", today - timedelta(days=364), 1000)]
    panel_measurements = []
    for page in dashboard_pages():
        page_ranges = [("now", None, 200)] if page.live else ranges
        for label, start, target in page_ranges:
            params = {} if start is None else {"date_from": start.isoformat(), "date_to": today.isoformat()}
            query_string = "&".join(f"{k}={v}" for k, v in params.items())
            note = "30-day target; the live page shows now" if page.live else ""
            add(
                "dashboard",
                f"{page.slug}, {label}",
                target,
                get(as_supervisor, f"/dashboard/{page.slug}/?{query_string}"),
                note,
            )
            form = DashboardFilterForm(params, scope=scope, now=now, default_bucket=page.default_bucket)
            if not form.is_valid():
                continue
            query = form.query()
            for _order, builder in _PANELS.get(page.slug, []):
                name = f"{page.slug}, {label}: {builder.__module__.rsplit('.', 1)[-1]}.{builder.__name__}"

                def build(builder=builder, query=query):
                    return builder(query=query, now=now)

                panel_measurements.append((Result("panel", name, target, note), build))

    def sweep():
        actions = sla_sweep(now=quiet_now)
        if actions:
            raise AssertionError(f"the sweep acted on {len(actions)} deadlines: the 'nothing due' moment is wrong")

    add("SLA sweep", "tick with nothing due", 10, sweep)

    if args.only:
        measurements = [(r, fn) for r, fn in measurements + panel_measurements if args.only in f"{r.group}: {r.name}"]
        panel_measurements = []

    print(
        f"Measuring {len(measurements) + len(panel_measurements) + 1} things, up to {args.runs} runs each …", flush=True
    )
    args.load_at_start = os.getloadavg()
    args.speed_at_start = machine_speed()

    def run_all(items, *, with_group: bool) -> list[Result]:
        done = []
        for result, fn in items:
            run(result, fn, runs=args.runs, budget=args.budget)
            label = f"{result.group}: {result.name}" if with_group else result.name
            print(
                f"  {label}: median {result.median_ms:,.1f} ms, p95 {result.p95_ms:,.1f} ms, "
                f"{result.queries} queries {result.verdict}",
                flush=True,
            )
            done.append(result)
        return done

    results = run_all(measurements, with_group=True)
    if not args.only:
        results.append(lobby_board(as_supervisor, today, now, runs=args.runs, budget=args.budget))
        print(f"  {results[-1].name}: median {results[-1].median_ms:,.1f} ms {results[-1].verdict}", flush=True)
    panels = run_all(panel_measurements, with_group=False)

    print()
    print(table(results))
    if panels:
        print()
        print(table(panels))
    if args.only:
        return 0
    path = write_results(
        args,
        results,
        panels,
        today=today,
        detail_ref=detail_ref,
        department=department,
        phone=phone,
        reference=reference,
        quiet_now=quiet_now,
    )
    print(f"\nWritten to {path}")
    return 0


def lobby_board(client, today, now, *, runs: int, budget: float) -> Result:
    """/visits/board/data/ with 200 visitors waiting today: the missing ones are added in a
    transaction that is rolled back afterwards."""
    from django.db import transaction

    from tickets.models import StaffProfile, Ticket
    from visits.models import Line, Visit

    result = Result("lobby board", "data endpoint, 200 waiting", None, "none in the issue")
    with transaction.atomic():
        waiting = Visit.objects.filter(queue_date=today, state=Visit.State.WAITING).count()
        missing = max(0, 200 - waiting)
        desk = StaffProfile.objects.filter(role="front_desk").order_by("pk").first()
        numbers = {
            line: (
                Visit.objects.filter(queue_date=today, line=line)
                .order_by("-number")
                .values_list("number", flat=True)
                .first()
                or 0
            )
            for line in Line.values
        }
        tickets = Ticket.objects.bulk_create(
            Ticket(
                reference=f"{today:%Y%m%d}-BENCH{desk.staff_no}-{i:03d}",
                kind="visit",
                channel="walk_in",
                subject="排队",
                first_responder_id=desk.user_id,
                assignee_id=desk.user_id,
                department_id=desk.department_id,
                created_at=now - timedelta(minutes=missing - i),
                updated_at=now - timedelta(minutes=missing - i),
            )
            for i in range(missing)
        )
        visits = []
        for i, ticket in enumerate(tickets):
            line = Line.values[i % 3]
            numbers[line] += 1
            visits.append(
                Visit(
                    ticket=ticket,
                    line=line,
                    queue_date=today,
                    number=numbers[line],
                    visitor_name=f"访客{i}",
                    purpose="other",
                    checked_in_at=ticket.created_at,
                )
            )
        Visit.objects.bulk_create(visits)
        result.name = f"data endpoint, {waiting + missing} waiting"
        run(result, get(client, "/visits/board/data/"), runs=runs, budget=budget)
        transaction.set_rollback(True)
    return result


def machine_speed() -> float:
    """Milliseconds a fixed CPU-bound Python loop takes, best of 5: this machine's timings drift
    by a quarter between runs minutes apart (a virtual machine's host), so every results file
    says how fast the machine was while it measured."""
    best = math.inf
    for _run in range(5):
        started = time.perf_counter()
        total = 0
        for number in range(1_000_000):
            total += number * number
        best = min(best, (time.perf_counter() - started) * 1000)
    return best


def _loads(loads) -> str:
    return "/".join(f"{load:.2f}" for load in loads)


def write_results(args, results, panels, *, today, detail_ref, department, phone, reference, quiet_now) -> Path:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg_version = cursor.fetchone()[0]
        pg_settings = {}
        for name in (
            "shared_buffers",
            "work_mem",
            "effective_cache_size",
            "random_page_cost",
            "jit",
            "max_parallel_workers_per_gather",
        ):
            cursor.execute(f"SHOW {name}")
            pg_settings[name] = cursor.fetchone()[0]
        counts = {}
        for name in TABLES:
            cursor.execute(f"SELECT COUNT(*) FROM {name}")
            counts[name] = cursor.fetchone()[0]
    summary_path = Path(args.summary)
    generated = json.loads(summary_path.read_text(encoding="utf-8")) if summary_path.exists() else None
    if generated and generated.get("tickets") != counts["tickets_ticket"]:
        generated = None  # the summary of another data set
    tickets = counts["tickets_ticket"]
    failing = [r for r in results + panels if r.verdict.startswith("**FAIL") or r.error]

    out = []
    out.append(f"# Benchmark results, {today.isoformat()}")
    out.append("")
    out.append(
        f"Data set: **{tickets:,} tickets** (the targets are set for 1,000,000"
        + ("" if tickets >= 1_000_000 else "; a pass here does not prove one there")
        + ")."
    )
    if generated:
        out.append(
            f"Generated by `python -m bench.generate` in **{generated['seconds']:,.0f} s** "
            f"({generated['tickets_per_second']:,} tickets/s; seed {generated['seed']}, "
            f"data up to {generated['now']}), "
            f"{generated['events_per_ticket']} events a ticket, {generated['met_in_time_share']:.0%} of the settled "
            "deadlines met in time."
        )
    out.append("")
    out.append(
        f"Machine: {os.cpu_count()} CPUs ({platform.machine()}, {platform.system()} {platform.release()}), "
        f"Python {platform.python_version()}, Django {__import__('django').get_version()}, "
        f"PostgreSQL {pg_version} on the same machine "
        f"({', '.join(f'{k} {v}' for k, v in pg_settings.items())}). "
        f"Load average (1, 5, 15 min) when measuring began {_loads(args.load_at_start)}, when it ended "
        f"{_loads(os.getloadavg())}. Machine speed (a fixed Python loop, best of 5; lower is faster, compare "
        f"runs by it): {args.speed_at_start:.0f} ms when measuring began, {machine_speed():.0f} ms when it ended."
    )
    out.append("")
    out.append(
        "Method: `python -m bench.measure`, in process through Django's test client (middleware, session, view, "
        "queries, templates or serializers; no web server, no network), `DEBUG` off. A supervisor and a front-desk "
        f"member of staff (department customer_service) signed in, and an API key (a supervisor's view). Each "
        f"measurement: a warm-up run, a run counting its SQL queries, then up to {args.runs} timed runs (at least "
        f"5, or {args.budget:.0f} s; 3 for a measurement taking over {args.budget / 10:.0f} s a run); the median "
        "and the 95th percentile (nearest rank). The list filter "
        f"`overdue + {department.code}` is the overdue-only box with department {department.name}; the 50-event "
        f"ticket is {detail_ref}; the phone searched is {phone} (the customer with the most tickets), the reference "
        f"{reference} (a year old); the sweep runs at {quiet_now.isoformat(timespec='seconds')}, just before the first "
        "deadline is due."
    )
    out.append("")
    out.append("## Results")
    out.append("")
    out.append(table(results))
    out.append("")
    if panels:
        out.append("## Dashboard panels (each panel's builder called directly, no HTTP or template)")
        out.append("")
        out.append("The issue's dashboard targets are per panel; the pages above draw all of a page's panels at once.")
        out.append("")
        out.append(table(panels))
        out.append("")
    out.append("## Targets not met")
    out.append("")
    if failing:
        for r in failing:
            out.append(
                f"- {r.group}: {r.name} — p95 {fmt_ms(r.p95_ms)} ms against {r.target_ms:,.0f} ms: {r.verdict}"
                if not r.error
                else f"- {r.group}: {r.name} — {r.error}"
            )
    else:
        out.append("None at this size.")
    out.append("")
    out.append("## Not measured yet")
    out.append("")
    out.extend(f"- {line}" for line in NOT_MEASURED_YET.values())
    if not NOT_MEASURED_YET:
        out.append("Nothing.")
    out.append("")
    out.append(
        "Query counts: the counts above are at this size; that they do not grow with the table is asserted "
        "in the test suite (tests/test_query_guard.py: every list, detail, dashboard and board endpoint costs "
        "the same queries for 2 and for 8 rows of every kind, within its budget)."
    )
    out.append("")
    out.append("## Row counts")
    out.append("")
    out.append("| table | rows |")
    out.append("|---|---:|")
    out.extend(f"| {name} | {count:,} |" for name, count in counts.items())
    out.append("")
    if generated:
        out.append("## Generation, seconds per step")
        out.append("")
        out.append("| step | s |")
        out.append("|---|---:|")
        out.extend(f"| {step} | {seconds:,.1f} |" for step, seconds in generated["steps"].items())
        out.append("")
    folder = Path(args.out)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{args.name or today.isoformat()}.md"
    temporary = path.with_suffix(".md.tmp")
    temporary.write_text("\n".join(out), encoding="utf-8")
    temporary.replace(path)
    return path


if __name__ == "__main__":
    sys.exit(main())
