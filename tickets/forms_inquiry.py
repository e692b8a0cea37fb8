"""The new inquiry form: input shape only (required, length, choice, which branch applies).

The rules (a call reason on every contact, who may be handed what, a refusal writes nothing)
live in `services.inquiry_take`; the view puts any InvalidInput it raises on the field it
names. The choice lists come from tickets.selectors, one query each.

Two groups of fields only count when their radio is chosen: the new customer's details
(`customer` = "new") and the fields of each outcome branch. Errors on the fields of an
unchosen branch are dropped, so what the clerk typed there and then abandoned never blocks
the save.
"""

from __future__ import annotations

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from tickets import selectors
from tickets.forms import HANDOFF_FIELDS, DeskForm, HandOffFieldsMixin, _text
from tickets.models import Customer, Ticket
from tickets.services import InquiryOutcome

NEW_CUSTOMER = "new"
CONTACT_ONLY = "contact"

NEW_CUSTOMER_FIELDS = ("new_name", "new_phone", "new_company", "new_id_number")
BRANCH_FIELDS: dict[str, tuple[str, ...]] = {
    InquiryOutcome.RESOLVE: ("answer",),
    InquiryOutcome.HAND_OFF: (*HANDOFF_FIELDS, "handoff_note"),
    InquiryOutcome.KEEP_OPEN: (),
}

OUTCOME_HINTS = {
    InquiryOutcome.RESOLVE: _("Answered on this call: write down the answer given."),
    InquiryOutcome.HAND_OFF: _("A colleague or department takes it; tell the customer their name and extension."),
    InquiryOutcome.KEEP_OPEN: _("It stays on your desk; answer or hand it off within the handoff deadline."),
}

# The channels a person takes a call or visit on (API tickets come from the API).
DESK_CHANNELS = [choice for choice in Ticket.Channel.choices if choice[0] != Ticket.Channel.API]


def parse_pk(value: str) -> int | None:
    """A database id as typed in a form or address, or None: ASCII digits that fit the column."""
    value = (value or "").strip()
    if not (value.isascii() and value.isdigit()) or len(value) > 18:
        return None
    return int(value)


class InquiryForm(HandOffFieldsMixin, DeskForm):
    prefix_id = "inquiry"
    # The hand-off fields (HandOffFieldsMixin) come after the answer, where the page shows them.
    field_order = [
        "phone",
        "contact_name",
        "customer",
        *NEW_CUSTOMER_FIELDS,
        "channel",
        "category",
        "service_type",
        "subject",
        "description",
        "reminders_for",
        "given",
        "outcome",
        "answer",
    ]

    # The caller
    phone = _text(
        _("Caller's phone"),
        max_length=30,
        help_text=_("At least 3 digits: matching customers and their open tickets are listed below."),
    )
    contact_name = _text(_("Caller's name"), max_length=100)
    customer = forms.CharField(
        label=_("Who is calling"),
        max_length=20,
        error_messages={
            "required": _("Choose who is calling: a customer found by phone, a new customer, or the caller only.")
        },
    )
    new_name = _text(_("Customer name"), max_length=100, help_text=_("Blank: the caller's name."))
    new_phone = _text(_("Phone"), max_length=30, help_text=_("Blank: the caller's phone."))
    new_company = _text(_("Company"), max_length=200)
    new_id_number = _text(_("ID number"), max_length=30, help_text=_("Optional; shown masked everywhere."))

    # The question
    channel = forms.ChoiceField(label=_("Channel"), choices=DESK_CHANNELS, initial=Ticket.Channel.PHONE)
    category = forms.ChoiceField(
        label=_("Call reason"),
        error_messages={
            "required": _("Choose the call reason: every contact is counted by it."),
            "invalid_choice": _("That call reason is no longer in use; choose another."),
        },
    )
    service_type = forms.ChoiceField(
        label=_("Service type"),
        required=False,
        help_text=_("Shows its special reminders."),
        error_messages={"invalid_choice": _("That service type is no longer in use; choose another.")},
    )
    subject = _text(_("The question, in short"), required=True, max_length=200)
    description = _text(_("Details"), rows=3)

    # The special reminders (A2): which were given, and for which service type the list was shown.
    reminders_for = forms.CharField(required=False, widget=forms.HiddenInput)
    given = forms.MultipleChoiceField(
        label=_("Special reminders given"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("A reminder you ticked is no longer in use; check the list again.")},
    )

    # What happened
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=InquiryOutcome.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose the outcome: resolved now, hand off, or keep open.")},
    )
    answer = _text(_("The answer given"), rows=3)
    handoff_note = _text(_("For the colleague"), rows=2)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.customer_record: Customer | None = None
        self.category_options = selectors.category_list_active()
        self._categories = {str(option.category.pk): option.category for option in self.category_options}
        self.fields["category"].choices = [("", "—"), *((pk, o.label) for pk, o in self._category_items())]
        self._service_types = {str(st.pk): st for st in selectors.service_type_list_active()}
        self.fields["service_type"].choices = [("", "—"), *((pk, st.name) for pk, st in self._service_types.items())]
        self.shown_service_type = self._service_types.get(str(self._raw("service_type") or ""))
        self.reminders = selectors.reminders_for_service_type(service_type=self.shown_service_type)
        self.fields["given"].choices = [(str(reminder.pk), reminder.text) for reminder in self.reminders]
        self.fields["callback_phone"].help_text = _("Blank: the caller's phone.")
        for name in ("phone", "new_phone", "callback_phone"):
            self.fields[name].widget.input_type = "tel"
            self.fields[name].widget.attrs.update(inputmode="tel", autocomplete="off")
        # htmx: the matches follow the phone as it is typed; the reminders follow the service type.
        self.fields["phone"].widget.attrs.update(
            {
                "hx-get": reverse("desk:customer_lookup"),
                "hx-trigger": "input changed delay:300ms, keyup[key=='Enter']",
                "hx-target": "#customer-matches",
                "hx-swap": "outerHTML",
                "hx-include": "[name=customer]:checked",
                "aria-controls": "customer-matches",
            }
        )
        self.fields["service_type"].widget.attrs.update(
            {
                "hx-get": reverse("desk:inquiry_reminders"),
                "hx-trigger": "change",
                "hx-target": "#inquiry-reminders",
                "hx-swap": "outerHTML",
                "hx-include": "[name=given]:checked",
                "aria-controls": "inquiry-reminders",
            }
        )

    def _category_items(self):
        return ((str(option.category.pk), option) for option in self.category_options)

    def _raw(self, name: str):
        return self.data.get(name) if self.is_bound else self.initial.get(name, self.fields[name].initial)

    # --- Cleaning ------------------------------------------------------------------------------

    def clean_customer(self) -> str:
        value = self.cleaned_data["customer"].strip()
        if value in (NEW_CUSTOMER, CONTACT_ONLY):
            return value
        pk = parse_pk(value)
        customer = selectors.customer_get(pk=pk) if pk is not None else None
        if customer is None:
            raise forms.ValidationError(
                _("That customer record no longer exists: look the caller up again."), code="invalid_choice"
            )
        self.customer_record = customer
        return value

    def clean_category(self):
        return self._categories[self.cleaned_data["category"]]

    def clean_service_type(self):
        value = self.cleaned_data["service_type"]
        return self._service_types[value] if value else None

    def clean(self):
        cleaned = super().clean()
        outcome = cleaned.get("outcome")
        if outcome:
            for other, names in BRANCH_FIELDS.items():
                if other != outcome:
                    self._drop(names)
        if cleaned.get("customer") != NEW_CUSTOMER:
            self._drop(NEW_CUSTOMER_FIELDS)
        # What the service would refuse one at a time, said all at once (the service still checks).
        if cleaned.get("customer") == CONTACT_ONLY and not cleaned.get("phone", "x").strip():
            self.add_error(
                "phone", _("The caller's phone is required when the call is not linked to a customer record.")
            )
        if outcome == InquiryOutcome.RESOLVE and not cleaned.get("answer", "x").strip():
            self.add_error("answer", _("%(label)s is required.") % {"label": _("The answer given to the customer")})
        targets = ("to_user", "to_department", "problem_type")
        if outcome == InquiryOutcome.HAND_OFF and not any(name in self.errors or cleaned.get(name) for name in targets):
            self.add_error("to_user", _("Choose a colleague, a department or a problem type."))
        if "service_type" in cleaned:
            shown_for = str(self.shown_service_type.pk) if self.shown_service_type else ""
            if cleaned.get("reminders_for", "") != shown_for:
                self.add_error(
                    "given",
                    _("The service type changed: tick the special reminders shown now that you gave, then save again."),
                )
        return cleaned

    def _drop(self, names) -> None:
        """Ignore fields that do not apply: no error, and an empty value for the view to pass on."""
        for name in names:
            self._errors.pop(name, None)
            self.cleaned_data[name] = self.fields[name].to_python(None)

    # --- What the view and the page need ----------------------------------------------------

    @property
    def selected_customer(self) -> str:
        return str(self._raw("customer") or "")

    @property
    def given_ids(self) -> set[str]:
        """The reminders ticked, among those shown now."""
        raw = self.data.getlist("given") if self.is_bound else self.initial.get("given", [])
        shown = {str(reminder.pk) for reminder in self.reminders}
        return {str(value) for value in raw} & shown

    def reminders_given(self) -> list[dict]:
        """What the ticket keeps (A2): each reminder shown, a copy of its text and whether it was given."""
        given = set(self.cleaned_data.get("given") or [])
        return [{"text": reminder.text, "given": str(reminder.pk) in given} for reminder in self.reminders]

    def new_customer(self) -> dict[str, str] | None:
        if self.cleaned_data.get("customer") != NEW_CUSTOMER:
            return None
        return {
            "name": self.cleaned_data["new_name"],
            "phone": self.cleaned_data["new_phone"],
            "company": self.cleaned_data["new_company"],
            "id_number": self.cleaned_data["new_id_number"],
        }

    def apply_focus(self, *, default: str = "phone") -> str:
        """Autofocus the first field with an error, else `default`; returns its name (the page
        puts the focus on the radio groups and tick boxes it draws itself)."""
        name = next((name for name in self.fields if name in self.errors), default)
        self.fields[name].widget.attrs["autofocus"] = True
        self.focus_name = name
        return name
