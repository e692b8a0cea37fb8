"""Forms of the desk pages: input shape only (required, length, choice).

Business rules stay in tickets.services: the views call a service with a form's cleaned
data and put any InvalidInput it raises on the field it names.

Each action form on the ticket page carries a hidden `expected_version` (the ticket's
version when the page was drawn) so a stale page gets a conflict instead of overwriting
someone else's change, and its own `auto_id` so several forms can share one page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from django import forms
from django.conf import settings
from django.forms.models import ModelChoiceIterator, ModelChoiceIteratorValue
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from tickets import selectors
from tickets.models import ProblemType
from tickets.widgets import QuickSelect

# What the desk reads to the customer when asking them to test (S3), word for word.
TEST_SCRIPT = _(
    "Please test within 24 hours and call us back with the result. If we have not heard from you "
    "within 24 hours, we will consider the problem solved."
)


class DeskForm(forms.Form):
    """A form on the ticket page: unique ids, and focus on the first field that needs fixing."""

    prefix_id: ClassVar[str] = "form"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", f"id_{self.prefix_id}_%s")
        super().__init__(*args, **kwargs)

    def focus_first_error(self) -> None:
        """Put `autofocus` on the first field with an error, else the first visible field."""
        visible = [field for field in self.visible_fields()]
        target = next((field for field in visible if field.errors), visible[0] if visible else None)
        if target is not None:
            target.field.widget.attrs["autofocus"] = True


def _text(label, *, required: bool = False, max_length: int | None = None, rows: int | None = None, **kwargs):
    widget = forms.Textarea(attrs={"rows": rows}) if rows else forms.TextInput()
    return forms.CharField(label=label, required=required, max_length=max_length, widget=widget, **kwargs)


def describe_attachment_limits(field: forms.FileField) -> None:
    """Tell the user which files are kept and how large (the attachment service checks them,
    so the limits live in one place: settings.SERVICEDESK)."""
    limits = settings.SERVICEDESK
    field.help_text = _("%(types)s; up to %(size)s.") % {
        "types": ", ".join(limits["ATTACHMENT_EXTENSIONS"]),
        "size": filesizeformat(limits["ATTACHMENT_MAX_BYTES"]),
    }
    field.widget.attrs["accept"] = ",".join(f".{ext}" for ext in limits["ATTACHMENT_EXTENSIONS"])


class ActionForm(DeskForm):
    """One verb on the ticket page. `title`, `submit` and `intro` are what the page shows."""

    verb: ClassVar[str] = ""
    title: ClassVar[str] = ""
    submit: ClassVar[str] = ""
    intro: ClassVar[str] = ""
    is_primary: ClassVar[bool] = False
    is_danger: ClassVar[bool] = False

    expected_version = forms.IntegerField(
        widget=forms.HiddenInput,
        min_value=1,
        error_messages={
            "required": _("This page is out of date: reload the ticket and try again."),
            "invalid": _("This page is out of date: reload the ticket and try again."),
        },
    )

    def __init__(self, *args, **kwargs):
        self.prefix_id = self.verb
        super().__init__(*args, **kwargs)


class PhraseOverrideMixin(forms.Form):
    """Customer-facing text passes the forbidden-phrase guard (P3, scripts_lib.guard). A refused
    text comes back with `phrase_refusal` set by the view; a supervisor may then send it anyway
    with a reason (the page offers this field to supervisors only; the service checks the role)."""

    override_reason = _text(
        _("Send anyway: reason for the override"),
        max_length=500,
        help_text=_("Supervisors only. The reason and the phrases are recorded on the timeline."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.phrase_refusal = None


def colleague_label(name: str, department: str | None, extension: str | None) -> str:
    """How a colleague is offered in a select: name, department and extension."""
    return _("%(name)s · %(department)s · ext. %(extension)s") % {
        "name": name,
        "department": department or "—",
        "extension": extension or "—",
    }


class ColleagueChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user) -> str:
        profile = user.staff
        return colleague_label(
            profile.display_name, profile.department.name if profile.department else None, profile.extension
        )


@dataclass(frozen=True)
class Colleague:
    """A colleague as a select lists them, read as plain values: building 300 users with
    their staff profiles and departments as model instances took longer than all the rest of
    the ticket page."""

    pk: int
    display_name: str
    extension: str
    department: str


class ColleagueRowIterator(ModelChoiceIterator):
    """The choices of a ColleagueChoiceField from one values query (a user's pk, name and
    username, extension and department): the same options, without a model instance each."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        rows = self.queryset.values_list(
            "pk", "first_name", "last_name", "username", "staff__extension", "staff__department__name"
        )
        for pk, first_name, last_name, username, extension, department in rows:
            # StaffProfile.display_name: User.get_full_name() or the username.
            name = f"{first_name} {last_name}".strip() or username
            colleague = Colleague(pk=pk, display_name=name, extension=extension or "", department=department or "")
            yield ModelChoiceIteratorValue(pk, colleague), colleague_label(name, department, extension)


class QuickColleagueChoiceField(ColleagueChoiceField):
    """A colleague picked among every active member of staff (ColleagueRowIterator)."""

    iterator = ColleagueRowIterator


# The hand-off fields, named as the arguments of services.ticket_hand_off.
HANDOFF_FIELDS = (
    "to_user",
    "to_department",
    "problem_type",
    "told_name",
    "told_extension",
    "callback_phone",
    "callback_note",
)


class HandOffFieldsMixin(forms.Form):
    """Who takes the question and what the customer is told (T1, T5): HANDOFF_FIELDS, on the
    ticket page's hand-off form and in the hand-off branch of the new inquiry form."""

    to_user = QuickColleagueChoiceField(
        label=_("Colleague"),
        queryset=None,
        required=False,
        empty_label="—",
        widget=QuickSelect,
        error_messages={"invalid_choice": _("That colleague is not an active staff member; choose another.")},
    )
    to_department = forms.ModelChoiceField(
        label=_("or a department"),
        queryset=None,
        required=False,
        empty_label="—",
        widget=QuickSelect,
        help_text=_("The customer is told the department head's name and extension."),
        error_messages={"invalid_choice": _("That department is not active; choose another.")},
    )
    problem_type = forms.ChoiceField(
        label=_("or route by problem type"),
        choices=[("", "—"), *ProblemType.choices],
        required=False,
        widget=QuickSelect,
        help_text=_("Sales/business → product; technical → technical support; service quality → customer service."),
    )
    told_name = _text(_("Name told to the customer"), max_length=100, help_text=_("Blank: the colleague's name."))
    told_extension = _text(
        _("Extension told to the customer"), max_length=20, help_text=_("Blank: the colleague's extension.")
    )
    callback_phone = _text(_("Callback phone"), max_length=30)
    callback_note = _text(_("Best time to call back"), max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_user"].queryset = selectors.staff_list_for_handoff()
        self.fields["to_department"].queryset = selectors.department_list_active()
        self.fields["callback_phone"].widget.input_type = "tel"


class HandOffForm(HandOffFieldsMixin, ActionForm):
    verb = "hand_off"
    title = _("Hand off")
    submit = _("Hand off")
    intro = _(
        "Pass the question to a colleague, a department, or by problem type. You stay its first "
        "responder (首问负责). Tell the customer the colleague's name and extension."
    )
    is_primary = True

    note = _text(_("For the colleague"), rows=2)


class ReplyForm(PhraseOverrideMixin, ActionForm):
    verb = "reply"
    title = _("Record the handler's result")
    submit = _("Return the result to the desk")
    intro = _("The desk answers the customer with this result (T5).")
    is_primary = True

    result = _text(_("Result"), required=True, rows=3)


class ResolveFirstContactForm(PhraseOverrideMixin, ActionForm):
    verb = "resolve_first_contact"
    title = _("Resolved at first contact")
    submit = _("Mark resolved")
    intro = _("The customer's question was answered on this call or visit; no handoff needed.")
    is_primary = True

    note = _text(_("The answer given"), rows=2)


class RequestTestForm(ActionForm):
    verb = "request_test"
    title = _("Ask the customer to test")
    submit = _("Start the 24-hour test window")
    intro = _("Read the customer this script:")
    script = TEST_SCRIPT

    instructions = _text(_("What the customer should test"), rows=2)


class TestResultForm(ActionForm):
    verb = "test_result"
    title = _("Record the test result")
    submit = _("Record the result")
    intro = _("The customer called back with the result of their test.")
    is_primary = True

    FIXED = "fixed"
    NOT_FIXED = "not_fixed"

    result = forms.ChoiceField(
        label=_("Result of the test"),
        choices=[
            (FIXED, _("Fixed: the customer confirms it works")),
            (NOT_FIXED, _("Not fixed: back to the desk")),
        ],
        widget=forms.RadioSelect,
    )
    note = _text(_("Note"), rows=2)


class ResolveForm(PhraseOverrideMixin, ActionForm):
    verb = "resolve"
    title = _("Resolve")
    submit = _("Resolve")
    intro = _("The customer has been given the answer.")

    resolution = _text(_("The answer given to the customer"), required=True, rows=3)


class PauseForm(ActionForm):
    verb = "pause"
    title = _("Wait on the customer")
    submit = _("Stop the clocks")
    intro = _("The deadlines stop and keep the time they have left until you resume.")

    reason = _text(_("What we are waiting for"), required=True, max_length=500)


class ResumeForm(ActionForm):
    verb = "resume"
    title = _("Resume")
    submit = _("Resume")
    intro = _("The customer is back: the deadlines run again with the time they had left.")
    is_primary = True

    note = _text(_("Note"), rows=2)


class CloseForm(ActionForm):
    verb = "close"
    title = _("Close")
    submit = _("Close the ticket")
    intro = _("Nothing more to do for this customer.")
    is_primary = True

    note = _text(_("Note"), rows=2)


class ReopenForm(ActionForm):
    verb = "reopen"
    title = _("Reopen")
    submit = _("Reopen")
    intro = _("The problem is back: the ticket returns to the desk and the handoff clock starts again.")

    reason = _text(_("Why it is reopened"), required=True, rows=2)


class EscalateForm(ActionForm):
    verb = "escalate"
    title = _("Escalate")
    submit = _("Escalate")
    intro = _("Raises the priority one step and calls in the department head or a supervisor (服务上移).")
    is_danger = True

    reason = _text(_("Reason for escalating"), required=True, rows=2)


ACTION_FORMS: dict[str, type[ActionForm]] = {
    form.verb: form
    for form in (
        HandOffForm,
        ReplyForm,
        ResolveFirstContactForm,
        RequestTestForm,
        TestResultForm,
        ResolveForm,
        PauseForm,
        ResumeForm,
        CloseForm,
        ReopenForm,
        EscalateForm,
    )
}


class NoteForm(DeskForm):
    prefix_id = "note"

    text = _text(_("Internal note"), required=True, rows=3, help_text=_("Seen by staff only, never by the customer."))


class AttachmentForm(DeskForm):
    """The file is checked by the service (type, size, empty) so the limits live in one place."""

    prefix_id = "attachment"

    file = forms.FileField(label=_("File"), required=False, allow_empty_file=True)
    note = _text(_("What it is"), max_length=500)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        describe_attachment_limits(self.fields["file"])
