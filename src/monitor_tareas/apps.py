from django.apps import AppConfig


class MonitorTareasConfig(AppConfig):
    name = "monitor_tareas"
    verbose_name = "Monitor de tareas"

    def ready(self) -> None:
        # Las señales de Celery escriben el registro de auditoría.
        from . import senales  # noqa: F401
