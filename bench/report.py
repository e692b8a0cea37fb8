"""Render the load, sweep and firing tools' summaries into the results file bench.measure wrote.

    python -m bench.report [--file bench/results/<date>.md]

Reads var/bench-load.json, var/bench-sweep.json and var/bench-firing.json (written by
bench.load, bench.sweep and bench.firing; make bench deletes them before running the tools, so a
tool that failed leaves no stale figures), puts a section for each before "Not measured yet",
drops the matching entries of that list (bench.measure.NOT_MEASURED_YET), and adds a missed
target to "Targets not met". Run again, it replaces its own sections. Default file: the newest in
bench/results.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from bench.common import read_summary

TOOLS = ("load", "sweep", "firing")
BEGIN, END = "<!-- bench.report:{} -->", "<!-- /bench.report:{} -->"
MARK = " <!-- bench.report -->"


def fmt(value: float, digits: int = 0) -> str:
    return f"{value:,.{digits}f}"


def load_section(data: dict) -> tuple[list[str], list[str]]:
    create = data["phases"].get("create")
    lines = [
        "## Load: gunicorn driven by wrk, 32 concurrent clients",
        "",
        f"Method: `python -m bench.load`. gunicorn with {data['workers']} {data['worker_class']} workers "
        f"(2 × {data['cpus']} CPUs; {data['gunicorn_threads']} thread each), bench.settings (`DEBUG` off), persistent "
        f"database connections (CONN_MAX_AGE {data['conn_max_age']} s), the API throttle's counts in Redis, on "
        f"127.0.0.1; wrk in a second process ({data['wrk_threads']} threads, {data['connections']} connections, "
        "30 s timeout so a slow answer counts as latency, not error). Create: POST /api/v1/tickets/ "
        "(an inquiry with a customer) with the run's API key"
        + (" and a fresh Idempotency-Key per request" if data.get("idempotency_key") else "")
        + "; the tickets are counted in the database. Lists: GET of the API list with the key, and of the "
        "HTML list as a signed-in supervisor (default filters). Latency percentiles are wrk's, over every request. "
        "The load average before and after is given below: the CPU cost per ticket is the figure that does not "
        "depend on what else the machine was doing.",
        "",
        "| phase | requests | s | requests/s | p50 ms | p90 ms | p99 ms | errors | target | result |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    failing = []
    for name, phase in data["phases"].items():
        latency = phase["latency_ms"]
        if name == "create":
            rate = f"{fmt(phase['requests_per_second'])} ({fmt(phase['tickets_per_second'])} tickets/s)"
            target = f"≥ {phase['target']} tickets/s, 0 errors"
            verdict = "pass" if phase["passed"] else _create_verdict(phase)
            if not phase["passed"]:
                failing.append(f"- load: create — {verdict}")
        else:
            rate = fmt(phase["requests_per_second"])
            target = "0 errors"
            verdict = "pass" if phase["errors"] == 0 else f"**FAIL** {phase['errors']} errors"
            if phase["errors"]:
                failing.append(f"- load: {name} — {phase['errors']} errors")
        label = "create (POST /api/v1/tickets/)" if name == "create" else f"{name} (GET {phase['path']})"
        lines.append(
            f"| {label} | {phase['requests']:,} | {phase['seconds']:.1f} | {rate} | {fmt(latency.get('p50', 0))} | "
            f"{fmt(latency.get('p90', 0))} | {fmt(latency.get('p99', 0))} | {phase['errors']} | {target} | {verdict} |"
        )
    if create:
        errors = create["socket_errors"]
        lines += [
            "",
            f"Create: {create['tickets_created']:,} tickets written for {create['expected']:,} answers 201 "
            f"({'consistent' if create['rows_match'] else '**inconsistent**'}: the requests cut off when wrk stopped "
            f"may still commit); other statuses {create['other']} ({create['other_statuses'] or 'none'}); socket "
            f"errors connect {errors['connect']}, read {errors['read']}, write {errors['write']}, timeout "
            f"{errors['timeout']}.",
        ]
        if "cpu_ms_per_ticket" in create:
            cpu = create["cpu_seconds"]
            lines += [
                "",
                f"What a create costs, whatever else ran: {create['cpu_ms_per_ticket']:.1f} CPU ms a ticket (gunicorn "
                f"{1000 * cpu['server'] / max(create['tickets_created'], 1):.1f}, PostgreSQL "
                f"{1000 * cpu['postgres'] / max(create['tickets_created'], 1):.1f}, wrk "
                f"{1000 * cpu['wrk'] / max(create['tickets_created'], 1):.1f}): with the {data['cpus']} CPUs to "
                f"itself, about {fmt(create['capacity_estimate'])} tickets/s. " + _load_average(data),
            ]
    return lines, failing


def _create_verdict(phase: dict) -> str:
    parts = []
    if phase["tickets_per_second"] < phase["target"]:
        short = phase["target"] - phase["tickets_per_second"]
        parts.append(
            f"{fmt(phase['tickets_per_second'])} tickets/s, {fmt(short)} short of {phase['target']} "
            f"(×{phase['target'] / max(phase['tickets_per_second'], 0.1):.1f})"
        )
    if phase["errors"]:
        parts.append(f"{phase['errors']} errors")
    return "**FAIL** " + "; ".join(parts)


def _load_average(data: dict) -> str:
    if "load_average_before" not in data:
        return ""
    return (
        f"Load average (1 min) {data['load_average_before']:.1f} before, {data.get('load_average_after', 0):.1f} "
        f"after, on {data['cpus']} CPUs."
    )


def sweep_section(data: dict) -> tuple[list[str], list[str]]:
    check = data["exactly_once"]
    tick = data["tick_nothing_due"]
    seconds_ok = data["passed_time"]
    lines = [
        f"## SLA sweep: {data['deadlines']:,} deadlines due at once",
        "",
        f"Method: `python -m bench.sweep`. {data['deadlines']:,} open tickets bulk-inserted, each with a running "
        f"handoff deadline due now: {data['warnings_expected']:,} in their warning window (the sweep warns the "
        f"first responder), {data['breaches_expected']:,} past due (the sweep escalates). A real Celery worker "
        f"with {data['workers']} processes runs {data['workers']} `tickets.tasks.sla_sweep` tasks sent at once "
        f"(concurrent beat ticks, as in production: SELECT … FOR UPDATE SKIP LOCKED, batches of {data['batch']}); "
        "timed from sending until every deadline has its SlaAction. Then exactly once: each deadline one "
        "SlaAction of the expected kind, its ticket one sla_warning or escalated event by the sweep, the "
        "deadline's state updated.",
        "",
        "| measurement | result | target | verdict |",
        "|---|---|---|---|",
        f"| {data['deadlines']:,} due, {data['workers']} concurrent sweeps | {data['seconds']:.1f} s "
        f"({fmt(data['per_second'])} deadlines/s; tasks: "
        + ", ".join(f"{t['acted']:,} in {t['seconds']:.1f} s" for t in data["tasks"])
        + f") | < {data['target_seconds']} s | "
        + ("pass" if seconds_ok else f"**FAIL** ×{data['seconds'] / data['target_seconds']:.1f}")
        + " |",
        f"| exactly once | {check['acted_once']:,} acted on once, {check['acted_twice_or_more']} twice or more, "
        f"{check['missed']} missed, {check['wrong_action']} wrong action; events: {check['events_once']:,} once, "
        f"{check['events_twice_or_more']} twice, {check['events_missed']} missed; states "
        f"{'as expected' if check['states_ok'] else '**not as expected**'} | all once | "
        + ("pass" if check["ok"] else "**FAIL**")
        + " |",
        f"| tick with nothing due, afterwards ({tick['runs']} runs, in process) | median {tick['median_ms']:.1f} ms, "
        f"p95 {tick['p95_ms']:.1f} ms | < {tick['target_ms']} ms | "
        + ("pass" if tick["passed"] else f"**FAIL** ×{tick['p95_ms'] / tick['target_ms']:.1f}")
        + " |",
    ]
    if "cpu_ms_per_deadline" in data:
        cpu = data["cpu_seconds"]
        lines += [
            "",
            f"What it costs, whatever else ran: {data['cpu_ms_per_deadline']:.1f} CPU ms a deadline (Celery "
            f"{cpu['server']:.1f} s, PostgreSQL {cpu['postgres']:.1f} s in all): with the {data['cpus']} CPUs to "
            f"itself, about {data['seconds_estimate']:.0f} s. " + _load_average(data),
        ]
    failing = []
    if not seconds_ok:
        failing.append(
            f"- SLA sweep: {data['deadlines']:,} due — {data['seconds']:.1f} s against {data['target_seconds']} s "
            f"(×{data['seconds'] / data['target_seconds']:.1f})"
        )
    if not check["ok"]:
        failing.append("- SLA sweep: exactly once — not met (see the section)")
    if not tick["passed"]:
        failing.append(f"- SLA sweep: tick with nothing due (after) — p95 {tick['p95_ms']:.1f} ms")
    return lines, failing


def firing_section(data: dict) -> tuple[list[str], list[str]]:
    lines = [
        "## Firing latency: the real Celery worker and beat",
        "",
        f"Method: `python -m bench.firing`. `celery worker --beat` ({data['concurrency']} processes; beat sends the "
        f"sweep every {data['sweep_interval_seconds']:g} s, SLA_SWEEP_SECONDS), {data['deadlines']} deadlines "
        f"bulk-inserted due one after another over {data['spread_seconds']:.0f} s, each acted on once (the breach). "
        "Recorded: the SlaAction's acted_at (also its escalation event's time) minus the due time. Observed: when "
        "the action was seen committed (polled every 0.2 s) minus the due time.",
        "",
        "| delay | deadlines | p50 s | p99 s | max s | missing | target | result |",
        "|---|---:|---:|---:|---:|---:|---|---|",
    ]
    failing = []
    for name in ("recorded", "observed"):
        d = data[name]
        target = f"p99 < {data['target_p99_seconds']} s" if name == "recorded" else "—"
        if name == "recorded":
            verdict = "pass" if data["passed"] else f"**FAIL** p99 {d['p99']:.1f} s, {d['missing']} missing"
            if not data["passed"]:
                failing.append(f"- firing latency — p99 {d['p99']:.1f} s against {data['target_p99_seconds']} s")
        else:
            verdict = "—"
        lines.append(
            f"| {name} | {d['count']} | {d['p50']:.1f} | {d['p99']:.1f} | {d['max']:.1f} | {d['missing']} | "
            f"{target} | {verdict} |"
        )
    lines += ["", f"One action each: {'yes' if data['exactly_once'] else '**no**'}."]
    return lines, failing


SECTIONS = {"load": load_section, "sweep": sweep_section, "firing": firing_section}


def render(text: str, summaries: dict[str, dict | None], not_measured: dict[str, str]) -> str:
    """The results file's text with a section per summary (replacing an earlier rendering), the
    entries of "Not measured yet" they answer dropped, and their missed targets listed."""
    for tool in TOOLS:
        text = re.sub(
            rf"\n?{re.escape(BEGIN.format(tool))}.*?{re.escape(END.format(tool))}\n?", "\n", text, flags=re.DOTALL
        )
    text = "\n".join(line for line in text.split("\n") if not line.endswith(MARK))
    blocks, failing = [], []
    for tool in TOOLS:
        data = summaries.get(tool)
        if data is None:
            continue
        lines, missed = SECTIONS[tool](data)
        blocks.append("\n".join([BEGIN.format(tool), *lines, END.format(tool)]))
        failing += missed
        entry = not_measured.get(tool)
        if entry:
            text = text.replace(f"- {entry}\n", "")
    anchor = "## Not measured yet"
    block = "\n\n".join(blocks) + "\n\n"
    text = text.replace(anchor, block + anchor, 1) if anchor in text else text.rstrip("\n") + "\n\n" + block
    if failing:
        heading = "## Targets not met\n\n"
        marked = "\n".join(line + MARK for line in failing)
        if heading + "None at this size.\n" in text:
            text = text.replace(heading + "None at this size.\n", heading + marked + "\n")
        elif heading in text:
            start = text.index(heading) + len(heading)
            end = text.find("\n\n", start)
            end = len(text) if end == -1 else end
            text = text[:end] + "\n" + marked + text[end:]
    text = re.sub(r"## Not measured yet\n\n(?=## |\Z)", "", text)
    return re.sub(r"\n{3,}", "\n\n", text)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.report", description=__doc__.split("\n\n")[0])
    parser.add_argument("--file", help="the results file (default: the newest in bench/results)")
    args = parser.parse_args(argv)
    from bench.measure import NOT_MEASURED_YET

    if args.file:
        path = Path(args.file)
    else:
        files = sorted(Path("bench/results").glob("*.md"), key=lambda p: p.stat().st_mtime)
        if not files:
            print("No results file: run python -m bench.measure first.", file=sys.stderr)
            return 2
        path = files[-1]
    summaries = {tool: read_summary(tool) for tool in TOOLS}
    path.write_text(render(path.read_text(encoding="utf-8"), summaries, NOT_MEASURED_YET), encoding="utf-8")
    present = [tool for tool, data in summaries.items() if data is not None]
    absent = [tool for tool in TOOLS if tool not in present]
    print(
        f"{path}: rendered {', '.join(present) or 'nothing'}"
        + (f"; no summary of {', '.join(absent)}" if absent else "")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
