from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScriptsLibConfig(AppConfig):
    name = "scripts_lib"
    verbose_name = _("Service scripts")
