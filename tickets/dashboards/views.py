"""/dashboard/<page>/: one view for every dashboard page (thin: the page's builder computes
the tables through selectors; this view checks the viewer's scope and the filters, renders the
page, the htmx refresh of its panels, or one table's CSV/XLSX export)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from tickets.dashboards.exports import table_csv, table_xlsx
from tickets.dashboards.filters import DashboardFilterForm
from tickets.dashboards.pages import build_tables, dashboard_page_get, dashboard_pages
from tickets.sla import SHANGHAI
from tickets.stats_scope import stats_scope_for
from tickets.views.panels import role_name

REFRESH_SECONDS = 15


@require_GET
def dashboard_home(request: HttpRequest) -> HttpResponse:
    pages = dashboard_pages()
    if not pages:
        raise Http404
    return redirect("dashboards:page", slug=pages[0].slug)


@require_GET
def dashboard_page(request: HttpRequest, slug: str) -> HttpResponse:
    page = dashboard_page_get(slug)
    if page is None:
        raise Http404
    context = {"page": page, "pages": dashboard_pages(), "refresh_seconds": REFRESH_SECONDS}
    scope = stats_scope_for(request.user)
    if scope is None:
        context["forbidden"] = _(
            "The dashboards are for department heads, supervisors, office managers and administrators; "
            "your role is %(role)s."
        ) % {"role": role_name(request.user)}
        return render(request, "dashboards/page.html", context, status=403)
    now = timezone.now()
    form = DashboardFilterForm(request.GET, scope=scope, now=now, default_bucket=page.default_bucket)
    context["form"] = form
    if not form.is_valid():
        return render(request, "dashboards/page.html", context, status=400)
    query = form.query()
    tables = build_tables(page, query=query, now=now)
    export, fmt = request.GET.get("export"), request.GET.get("format", "csv")
    if export:
        table = next((t for t in tables if t.slug == export), None)
        if table is None or fmt not in ("csv", "xlsx"):
            context.update(tables=tables, query=query, export_error=_("There is no such table to export."))
            return render(request, "dashboards/page.html", context, status=400)
        caption = _("%(page)s · %(start)s – %(end)s · %(department)s") % {
            "page": page.title,
            "start": query.date_from.isoformat(),
            "end": query.date_to.isoformat(),
            "department": query.department.name if query.department else _("all departments"),
        }
        suffix = f"{query.date_from.isoformat()}_{query.date_to.isoformat()}"
        if page.live:
            when = now.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
            caption = _("%(page)s · %(when)s") % {"page": page.title, "when": when}
        export_view = table_csv if fmt == "csv" else table_xlsx
        return export_view(table, caption=caption, suffix=suffix)
    context.update(tables=tables, query=query, now=now)
    if request.headers.get("HX-Request"):
        return render(request, "dashboards/_panels.html", context)
    return render(request, "dashboards/page.html", context)
