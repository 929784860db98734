"""The Django admin app with the console's admin site as its default site."""

from django.contrib.admin.apps import AdminConfig


class ConsoleAdminConfig(AdminConfig):
    default_site = "kiosk.admin.content.site.ConsoleAdminSite"
