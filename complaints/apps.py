from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplaintsConfig(AppConfig):
    name = "complaints"
    verbose_name = _("Complaints")

    def ready(self) -> None:
        from complaints import dashboard
        from complaints.selectors_evaluations import evaluation_panel_get
        from complaints.services import complaint_close_gate
        from tickets.services import ticket_gate_register
        from tickets.views.panels import detail_extra_register

        # A complaint closes only after its return visit (C3).
        ticket_gate_register(complaint_close_gate)
        # The customer evaluation panel on the ticket page (C5).
        detail_extra_register(
            lambda *, request, ticket: {"evaluation_panel": evaluation_panel_get(ticket=ticket, user=request.user)}
        )
        # The "Complaints and evaluations" dashboard page (issue 8).
        dashboard.register()
