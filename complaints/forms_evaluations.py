"""Forms of customer evaluations (C5): the evaluation form (the customer's, and the same taken by
phone) in the manual's words (001 第二章 "绩效评估表"), and the summary's month picker."""

from __future__ import annotations

import re
from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _

from complaints.models_evaluations import SCORE_CHOICES, SCORE_MAX, SCORE_MIN
from tickets.forms import DeskForm

SCORE_FORM_CHOICES = [(str(value), label) for value, label in SCORE_CHOICES]


def _score_field(label):
    return forms.TypedChoiceField(
        label=label,
        choices=SCORE_FORM_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
        help_text=_("Performance score from −50% (lowest) to 200% (highest), in steps of 10%."),
        error_messages={
            "required": _("Choose a score."),
            "invalid_choice": _(
                "“%(value)s” is not on the scale: choose a score from −50%% to 200%% in steps of 10%%."
            ),
        },
    )


class EvaluationForm(DeskForm):
    prefix_id = "evaluation"

    technical_score = _score_field(_("Technical level"))
    attitude_score = _score_field(_("Service attitude"))
    comment = forms.CharField(
        label=_("Your comments or suggestions on our service"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    score_min = SCORE_MIN
    score_max = SCORE_MAX


MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


class MonthForm(forms.Form):
    month = forms.CharField(
        label=_("Month"),
        required=False,
        widget=forms.TextInput(attrs={"type": "month", "pattern": r"\d{4}-\d{2}"}),
    )

    def clean_month(self) -> date | None:
        value = (self.cleaned_data.get("month") or "").strip()
        if not value:
            return None
        match = MONTH_RE.match(value)
        if match is None or not 1 <= int(match.group(2)) <= 12 or not 2000 <= int(match.group(1)) <= 2100:
            raise forms.ValidationError(_("Enter a month as year-month, for example 2026-03."))
        return date(int(match.group(1)), int(match.group(2)), 1)
