from celery import shared_task
from django.conf import settings

from . import services


@shared_task(name="monitor_tareas.purgar_historial")
def purgar_historial() -> int:
    """Retención automática del historial (TAREAS_RETENCION_DIAS, 90 por defecto)."""
    return services.purgar(settings.TAREAS_RETENCION_DIAS)
