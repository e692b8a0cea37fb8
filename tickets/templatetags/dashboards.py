"""Template filters of the dashboard pages: the filters of a view as a query string."""

from urllib.parse import urlencode

from django import template

register = template.Library()


@register.filter
def urlencode_params(params: dict) -> str:
    return urlencode(params)


@register.filter
def export_params(query, slug: str) -> str:
    """The query string that exports one table of the current view (format added by the page)."""
    return urlencode(query.params(export=slug))
