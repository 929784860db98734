from django.apps import AppConfig


class FleetConfig(AppConfig):
    name = "kiosk.admin.fleet"
    label = "fleet"
    verbose_name = "Fleet"
