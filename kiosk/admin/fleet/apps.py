from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class FleetConfig(AppConfig):
    name = "kiosk.admin.fleet"
    label = "fleet"
    verbose_name = gettext_lazy("Fleet")
