from django.apps import AppConfig


class ImportacionesConfig(AppConfig):
    name = "importaciones"
    verbose_name = "Importaciones"
