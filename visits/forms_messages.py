"""Forms of the message pages (V3): input shape only.

The rules (an active colleague other than yourself, a phone number, the lengths) live in
visits.messages; the views put any InvalidInput it raises on the field it names. Field names
match the service's arguments.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from tickets import selectors
from tickets.forms import ColleagueChoiceField, DeskForm, _text
from visits import messages as services
from visits.selectors_messages import Box, State


class MessageTakeForm(DeskForm):
    prefix_id = "message"

    recipient = ColleagueChoiceField(
        label=_("For"),
        queryset=selectors.staff_list_for_handoff(),
        empty_label=_("— choose the colleague —"),
        help_text=_("The manager or colleague the visitor came to see."),
        error_messages={
            "required": _("Choose whom the message is for."),
            "invalid_choice": _("That colleague is not an active member of staff: choose another."),
        },
    )
    visitor_name = _text(_("Visitor's name"), required=True, max_length=services.VISITOR_NAME_MAX)
    contact = _text(
        _("Visitor's phone"),
        required=True,
        max_length=services.CONTACT_MAX,
        help_text=_("So the colleague can call the visitor back."),
    )
    text = _text(
        _("Message"),
        required=True,
        max_length=services.TEXT_MAX,
        rows=5,
        help_text=_("What the visitor wants, in their words; when they are free to be called."),
    )
    is_urgent = forms.BooleanField(
        label=_("Urgent: it cannot wait"),
        required=False,
        help_text=_("The colleague is notified at once and the message is marked urgent; also phone them now."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["recipient"].queryset = selectors.staff_list_for_handoff()
        self.fields["contact"].widget.input_type = "tel"
        self.fields["contact"].widget.attrs["autocomplete"] = "off"


class MessageListFilter(forms.Form):
    box = forms.ChoiceField(
        label=_("Whose messages"),
        required=False,
        choices=[(Box.FOR_ME, _("For me")), (Box.TAKEN, _("Taken by me"))],
    )
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[(State.OPEN, _("Open")), (State.HANDLED, _("Handled")), (State.ALL, _("All"))],
    )

    def __init__(self, *args, oversees: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if oversees:
            self.fields["box"].choices = [*self.fields["box"].choices, (Box.ALL, _("Everyone's"))]

    def values(self) -> tuple[str, str]:
        if not self.is_valid():
            return Box.FOR_ME, State.OPEN
        return self.cleaned_data["box"] or Box.FOR_ME, self.cleaned_data["state"] or State.OPEN
