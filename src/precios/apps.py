from django.apps import AppConfig


class PreciosConfig(AppConfig):
    name = "precios"
    verbose_name = "Precios"
