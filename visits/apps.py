from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VisitsConfig(AppConfig):
    name = "visits"
    verbose_name = _("Visits")

    def ready(self) -> None:
        # What the SLA sweep does when a visit's timer is due (the 3-minute rules and the rest).
        from visits import dashboard, records, release, renovation, services

        services.register_sla_handlers()
        release.register_sla_handlers()
        records.register_sla_handlers()
        renovation.register_sla_handlers()
        # The walk-in queue and the unacknowledged escalations on the live operations page.
        dashboard.register()
