from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = _("Tickets")

    def ready(self) -> None:
        from tickets.dashboards import panels

        panels.register()

        from tickets.dashboards import reasons, workload

        workload.register()
        reasons.register()
