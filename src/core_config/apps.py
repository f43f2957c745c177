from django.apps import AppConfig


class CoreConfigConfig(AppConfig):
    name = "core_config"
    verbose_name = "Sistema"
