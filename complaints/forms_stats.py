"""Forms of the complaint-rate page and the suggestion pages (C3, C4): input only; the
services check and write."""

from __future__ import annotations

from datetime import datetime

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from complaints.models import SuggestionDecision
from tickets.forms import DeskForm
from tickets.sla import SHANGHAI

YEAR_MIN, YEAR_MAX = 2000, 2100
MONTH_CHOICES = [(m, f"{m:02d}") for m in range(1, 13)]
QUARTER_CHOICES = [(q, f"Q{q}") for q in range(1, 5)]


class StatsPeriodForm(DeskForm):
    prefix_id = "period"

    PERIOD_CHOICES = [
        ("month", pgettext_lazy("statistics period", "Month")),
        ("quarter", pgettext_lazy("statistics period", "Quarter")),
    ]

    period = forms.ChoiceField(label=_("Period"), choices=PERIOD_CHOICES)
    year = forms.IntegerField(label=_("Year"), min_value=YEAR_MIN, max_value=YEAR_MAX)
    month = forms.TypedChoiceField(label=pgettext_lazy("statistics period", "Month"), choices=MONTH_CHOICES, coerce=int)
    quarter = forms.TypedChoiceField(
        label=pgettext_lazy("statistics period", "Quarter"), choices=QUARTER_CHOICES, coerce=int
    )

    @classmethod
    def for_request(cls, params, *, now: datetime) -> StatsPeriodForm:
        """The period asked for, each missing value defaulting to the current month."""
        local = now.astimezone(SHANGHAI)
        data = {
            "period": "month",
            "year": local.year,
            "month": local.month,
            "quarter": (local.month - 1) // 3 + 1,
        }
        data.update({key: params[key] for key in data if params.get(key)})
        month = str(params.get("month") or "")
        if month.isdigit() and not params.get("quarter"):
            # The quarter offered next to a month is that month's.
            data["quarter"] = (int(month) - 1) // 3 + 1
        return cls(data)


class RecomputeForm(DeskForm):
    prefix_id = "recompute"

    year = forms.IntegerField(label=_("Year"), min_value=YEAR_MIN, max_value=YEAR_MAX)
    month = forms.TypedChoiceField(label=pgettext_lazy("statistics period", "Month"), choices=MONTH_CHOICES, coerce=int)
    reason = forms.CharField(
        label=_("Reason for the recompute"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        help_text=_("Kept with the old and new figures; everyone who reads the table sees it."),
    )


class SuggestionYearForm(DeskForm):
    prefix_id = "year"

    year = forms.IntegerField(label=_("Year"), min_value=YEAR_MIN, max_value=YEAR_MAX)


class SuggestionDecisionForm(DeskForm):
    prefix_id = "decision"

    decision = forms.ChoiceField(
        label=_("Decision"), choices=SuggestionDecision.Decision.choices, widget=forms.RadioSelect
    )
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    change = forms.BooleanField(
        label=_("Change the decision already recorded"),
        required=False,
        help_text=_("The earlier decision stays on the ticket's timeline."),
    )
