import logging

from celery import shared_task
from celery.signals import worker_ready

from core_config import cancelaciones

from . import reclamo, services
from .models import ArchivoPendiente

logger = logging.getLogger(__name__)


@shared_task(bind=True, name="importaciones.procesar_pendientes")
def procesar_pendientes(
    self, limit: int | None = None, archivo_id: int | None = None
) -> list[dict]:
    """Procesa los archivos pendientes (o sólo `archivo_id`).

    Una segunda entrega del mismo aviso no hace nada: el archivo ya fue reclamado.
    """
    if cancelaciones.fue_cancelada(self.request.id):
        logger.info("Tarea %s cancelada desde el monitor: no se ejecuta.", self.request.id)
        return []
    return services.procesar_pendientes(limite=limit, archivo_id=archivo_id)


@shared_task(name="importaciones.barrer_pendientes")
def barrer_pendientes() -> str | None:
    """Periódica (beat): reenvía lo pendiente que nadie está procesando."""
    return services.barrer_pendientes()


@worker_ready.connect
def avisar_pendientes_al_arrancar(sender, **kwargs) -> None:
    # Redis sin persistencia pierde los mensajes al reiniciarse: la base manda,
    # y un worker que arranca se ocupa de lo que haya quedado pendiente, también de lo
    # que tenían procesos de esta máquina que murieron (corte de luz, SIGKILL).
    reclamo.liberar_reclamos_de_procesos_muertos()
    if ArchivoPendiente.objects.en_curso().exists():
        logger.info("Hay archivos pendientes: se encola su procesamiento.")
        procesar_pendientes.delay()
