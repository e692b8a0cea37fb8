from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplaintsConfig(AppConfig):
    name = "complaints"
    verbose_name = _("Complaints")

    def ready(self) -> None:
        # A complaint closes only after its return visit (C3).
        from complaints.services import complaint_close_gate
        from tickets.services import ticket_gate_register

        ticket_gate_register(complaint_close_gate)
