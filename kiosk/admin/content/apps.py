from django.apps import AppConfig


class ContentConfig(AppConfig):
    name = "kiosk.admin.content"
    label = "content"
    verbose_name = "Content"
