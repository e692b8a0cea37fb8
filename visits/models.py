"""Walk-in visits (issue 4): the visit behind a ticket of kind `visit`, its queue number, and
who is free to serve at the counter.

A visit's timers (the 3-minute wait, the escalation ladder, the person visited's
acknowledgement) are Foundation deadline rows on its ticket; its record is the ticket's events.
The counter business, ID copies, messages and incidents live in their own modules, imported at
the end of this one.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tickets.models import Department, Ticket


class Line(models.TextChoices):
    """The queue lines, each numbered on its own and from 1 every day (A001, B001 …)."""

    COUNTER = "A", _("Counter business")
    MEETING = "B", _("Meeting a person")
    OTHER = "C", _("Other")


class Purpose(models.TextChoices):
    """Why the visitor came: a counter business (V4), to meet someone, or something else."""

    MOVE_IN = "move_in", _("Move-in / ownership transfer")
    RENOVATION = "renovation", _("Renovation permit")
    PAYMENT = "payment", _("Payment")
    REPAIR = "repair", _("Repair request")
    RELEASE = "release", _("Move-out release slip")
    DOCUMENTS = "documents", _("Hukou or visa materials")
    MEET = "meet", _("Meet a person")
    OTHER = "other", _("Other")


PURPOSE_LINES: dict[str, str] = {
    **{purpose: Line.COUNTER for purpose in Purpose.values},
    Purpose.MEET: Line.MEETING,
    Purpose.OTHER: Line.OTHER,
}


class Visit(models.Model):
    class State(models.TextChoices):
        WAITING = "waiting", _("Waiting")
        CALLED = "called", _("Called")
        SERVING = "serving", _("Being served")
        FINISHED = "finished", _("Finished")

    class Outcome(models.TextChoices):
        SERVED = "served", _("Served")
        TRANSFERRED = "transferred", _("Transferred")
        MESSAGE_TAKEN = "message_taken", _("Message taken")
        LEFT = "left", _("Left before being served")

    ticket = models.OneToOneField(Ticket, verbose_name=_("ticket"), on_delete=models.PROTECT, related_name="visit")
    line = models.CharField(_("queue line"), max_length=1, choices=Line.choices)
    queue_date = models.DateField(_("queue date"))
    number = models.PositiveIntegerField(_("queue number"))
    visitor_name = models.CharField(_("visitor"), max_length=100)
    visitor_phone = models.CharField(_("phone"), max_length=30, blank=True)
    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices)
    party_size = models.PositiveSmallIntegerField(_("party size"), default=1)
    is_urgent = models.BooleanField(_("urgent"), default=False)
    host = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person visited"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.WAITING)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("served by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    counter = models.CharField(_("counter"), max_length=30, blank=True)
    checked_in_at = models.DateTimeField(_("checked in at"))
    called_at = models.DateTimeField(_("called at"), null=True, blank=True)
    serving_started_at = models.DateTimeField(_("service started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    host_acknowledged_at = models.DateTimeField(_("acknowledged by the person visited at"), null=True, blank=True)
    # Whom the wait alert named to take over (S4), until someone calls the visitor.
    suggested_staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("suggested colleague"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    wait_alert_at = models.DateTimeField(_("wait alert at"), null=True, blank=True)
    # The escalation ladder (S5): 0 none, 1 CS supervisor called in, 2 office manager.
    ladder_level = models.PositiveSmallIntegerField(_("ladder level"), default=0)
    ladder_acknowledged_at = models.DateTimeField(_("ladder acknowledged at"), null=True, blank=True)

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        constraints = [
            models.UniqueConstraint(fields=["queue_date", "line", "number"], name="visit_unique_queue_number"),
        ]
        indexes = [models.Index(fields=["queue_date", "state", "line"], name="visit_queue_idx")]

    def __str__(self) -> str:
        return self.queue_number

    @property
    def queue_number(self) -> str:
        return f"{self.line}{self.number:03d}"


class QueueCounter(models.Model):
    """The last number handed out on a line today: locked to number visitors without gaps."""

    queue_date = models.DateField(_("queue date"))
    line = models.CharField(_("queue line"), max_length=1, choices=Line.choices)
    last_number = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("queue counter")
        verbose_name_plural = _("queue counters")
        constraints = [models.UniqueConstraint(fields=["queue_date", "line"], name="queue_counter_unique_line_day")]

    def __str__(self) -> str:
        return f"{self.queue_date} {self.line}{self.last_number:03d}"


class CounterPresence(models.Model):
    """Whether a member of staff is free to serve, and at which counter."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("staff"), on_delete=models.CASCADE, related_name="presence"
    )
    is_available = models.BooleanField(_("available"), default=False)
    counter = models.CharField(_("counter"), max_length=30, blank=True)
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("counter presence")
        verbose_name_plural = _("counter presence")

    def __str__(self) -> str:
        return f"{self.user} {self.counter}"


class HostFallback(models.Model):
    """Whom to tell when the person visited does not acknowledge a visitor in time (V3)."""

    department = models.OneToOneField(
        Department, verbose_name=_("department"), on_delete=models.CASCADE, related_name="visit_fallback"
    )
    contact = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("fallback contact"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("fallback contact for visitors")
        verbose_name_plural = _("fallback contacts for visitors")

    def __str__(self) -> str:
        return f"{self.department}: {self.contact}"


class DocumentSequence(models.Model):
    """The last number issued on a day under a prefix (FX release slips, SJ desk receipts, ZX
    renovation permits). The row is locked while a number is taken (visits.numbering), so
    concurrent desks never get the same one."""

    prefix = models.CharField(_("prefix"), max_length=10)
    day = models.DateField(_("day"))
    last_value = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("document number sequence")
        verbose_name_plural = _("document number sequences")
        constraints = [models.UniqueConstraint(fields=["prefix", "day"], name="document_sequence_prefix_day")]

    def __str__(self) -> str:
        return f"{self.prefix}{self.day:%Y%m%d}: {self.last_value}"


# The other parts of the visits app: messages for absent colleagues (V3), the counter business
# (V4), ID copies and incidents (V5, V6).
from visits.models_messages import *  # noqa: E402,F401,F403
from visits.models_records import *  # noqa: E402,F401,F403
from visits.models_release import *  # noqa: E402,F401,F403
from visits.models_renovation import *  # noqa: E402,F401,F403
