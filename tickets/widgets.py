"""Form widgets of the desk pages.

`QuickSelect` draws a select's options in Python: the hand-off form's colleague select lists
every active member of staff (300 at a large desk), and Django's own Select renders three
templates per option, which made the ticket page of an open ticket take tens of milliseconds
for this one control. The HTML is the same, byte for byte (django/forms/widgets/select.html,
select_option.html and attrs.html), so a page and its tests cannot tell the difference.
"""

from __future__ import annotations

from django import forms
from django.utils.safestring import SafeString, mark_safe

from tickets.markup import attrs_html, text


class QuickSelect(forms.Select):
    """A single select without option groups, rendered without a template per option."""

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        context = self.get_context(name, value, attrs)["widget"]
        groups = context["optgroups"]
        if self.allow_multiple_selected or any(group_name for group_name, _options, _index in groups):
            return super().render(name, value, attrs, renderer)
        parts = [f'<select name="{text(context["name"])}"{attrs_html(context["attrs"])}>']
        for _group_name, options, _index in groups:
            for option in options:
                value, label = text(option["value"]), text(option["label"])
                parts.append(f'\n  <option value="{value}"{attrs_html(option["attrs"])}>{label}</option>\n')
        parts.append("\n</select>")  # the renderer strips the template's last newline
        return mark_safe("".join(parts))
