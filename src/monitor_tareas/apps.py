from django.apps import AppConfig


class MonitorTareasConfig(AppConfig):
    name = "monitor_tareas"
    verbose_name = "Monitor de tareas"

    def ready(self) -> None:
        from core_config import cancelaciones

        # Las señales de Celery escriben el registro de auditoría.
        from . import senales  # noqa: F401
        from .models import RegistroTarea

        # Una tarea cancelada desde el monitor no se ejecuta aunque el worker no la vio.
        cancelaciones.registrar(RegistroTarea.fue_cancelada)
