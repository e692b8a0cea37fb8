"""HTML drawn in Python where a template per row costs too much (hundreds of options in a select,
the 50 or more entries of a timeline): the same escaping as Django's templates, without their
per-variable machinery."""

from __future__ import annotations

from html import escape


def text(value) -> str:
    """What `{{ value }}` prints for a string or number: escaped unless already safe HTML
    (django.utils.html.conditional_escape, without its lazy-string wrapper on every call)."""
    if hasattr(value, "__html__"):
        return str(value.__html__())
    return escape(str(value))


def attrs_html(attrs: dict) -> str:
    """django/forms/widgets/attrs.html: ` name="value"`, a bare ` name` for True, nothing for False."""
    parts = []
    for name, value in attrs.items():
        if value is True:
            parts.append(f" {text(name)}")
        elif value is not False:
            parts.append(f' {text(name)}="{text(value)}"')
    return "".join(parts)
