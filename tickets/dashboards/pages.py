"""The registry of dashboard pages and their panels. A panel builder turns a DashboardQuery into
tables; apps register theirs from AppConfig.ready (visits adds the walk-in queue to the live
page, complaints adds its page), so the tickets app imports none of them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.utils.functional import Promise

from tickets.dashboards.filters import DashboardQuery
from tickets.dashboards.tables import Table

Builder = Callable[..., list[Table]]  # builder(*, query: DashboardQuery, now: datetime) -> tables


@dataclass(frozen=True)
class Page:
    slug: str
    title: str | Promise
    summary: str | Promise
    order: int = 50
    live: bool = False  # refreshes itself; shows "now", not a date range
    default_bucket: str = "day"
    uses_bucket: bool = True  # offers the trend's step (day, week, month)


_PAGES: dict[str, Page] = {}
_PANELS: dict[str, list[tuple[int, Builder]]] = {}


def dashboard_page_register(page: Page) -> None:
    _PAGES[page.slug] = page


def dashboard_panel_register(page_slug: str, builder: Builder, *, order: int = 50) -> None:
    """Add a panel builder to a page (kept in `order`; registering the same builder twice is a
    no-op)."""
    panels = _PANELS.setdefault(page_slug, [])
    if all(existing is not builder for _order, existing in panels):
        panels.append((order, builder))
        panels.sort(key=lambda item: item[0])


def dashboard_pages() -> list[Page]:
    return sorted(_PAGES.values(), key=lambda page: (page.order, page.slug))


def dashboard_page_get(slug: str) -> Page | None:
    return _PAGES.get(slug)


def build_tables(page: Page, *, query: DashboardQuery, now: datetime) -> list[Table]:
    tables: list[Table] = []
    for _order, builder in _PANELS.get(page.slug, []):
        tables.extend(builder(query=query, now=now))
    return tables
