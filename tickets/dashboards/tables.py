"""What a dashboard panel is made of: a table (every figure, with the link to the tickets behind
it) and optionally a chart drawn from the same numbers. Pages, exports and the browser share
these structures, so the chart, its data-table fallback and the CSV/XLSX say the same thing."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse


@dataclass
class Cell:
    """One figure: `value` is what exports hold (a number, a date, text); `text` is what the page
    shows; `url` (optional) lists the tickets behind it."""

    value: Any
    text: str = ""
    url: str | None = None

    def __post_init__(self):
        if not self.text:
            self.text = "—" if self.value is None else str(self.value)

    @property
    def is_number(self) -> bool:
        value = self.value
        return value is None or (isinstance(value, int | float | Decimal) and not isinstance(value, bool))


@dataclass
class Chart:
    """A Chart.js chart: `kind` bar or line; one dataset per series over `labels`.
    `percent` draws the value axis 0–100 %."""

    kind: str
    labels: list[str]
    datasets: list[dict[str, Any]]
    percent: bool = False
    stacked: bool = False

    def config(self) -> dict[str, Any]:
        def plain(values):
            return [float(v) if isinstance(v, Decimal) else v for v in values]

        return {
            "kind": self.kind,
            "labels": self.labels,
            "datasets": [{"label": d["label"], "data": plain(d["data"])} for d in self.datasets],
            "percent": self.percent,
            "stacked": self.stacked,
        }


@dataclass
class Table:
    """A panel: `slug` names it in the export URL (?export=slug&format=csv)."""

    slug: str
    title: str
    columns: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    note: str = ""
    chart: Chart | None = None
    empty_text: str = ""
    wide: bool = False  # a table with many columns: the whole width of the page

    @property
    def chart_id(self) -> str:
        return f"chart-{self.slug}"

    @property
    def data_id(self) -> str:
        return f"chart-{self.slug}-data"


def ticket_list_url(**filters) -> str:
    """The ticket list with these filters (None or "" values left out)."""
    return ticket_list_linker()(**filters)


def ticket_list_linker():
    """ticket_list_url with the list's path looked up once and each distinct link built once: for
    a table of thousands of cells sharing a few dozen links (a year's trend by day)."""
    path = reverse("desk:ticket_list")
    built: dict[tuple, str] = {}

    def link(**filters) -> str:
        key = tuple(filters.items())
        if key not in built:
            query = {name: value for name, value in filters.items() if value not in (None, "")}
            built[key] = f"{path}?{urlencode(query)}"
        return built[key]

    return link


def share(part: int, whole: int) -> Decimal | None:
    """part ÷ whole in percent, one decimal; None when whole is 0."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"))


def percent_cell(part: int, whole: int, url: str | None = None) -> Cell:
    value = share(part, whole)
    return Cell(value, "—" if value is None else f"{value}%", url)


def duration_text(seconds: float | None) -> str:
    """A duration as 1 h 05 min / 12 min / 40 s (language-neutral digits and units)."""
    if seconds is None:
        return "—"
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"
