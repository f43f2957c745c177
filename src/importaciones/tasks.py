import logging

from celery import shared_task
from celery.signals import worker_ready

from .models import ArchivoPendiente
from .repositories import ExcelRepository

logger = logging.getLogger(__name__)


@shared_task(name="importaciones.procesar_pendientes")
def procesar_pendientes(limit: int | None = None) -> list[dict]:
    """Procesa los archivos pendientes; una segunda entrega del mismo aviso no hace nada."""
    return ExcelRepository.procesar_pendientes(limit=limit)


@worker_ready.connect
def avisar_pendientes_al_arrancar(sender, **kwargs) -> None:
    # Redis sin persistencia pierde los mensajes al reiniciarse: la base manda,
    # y un worker que arranca se ocupa de lo que haya quedado pendiente.
    if ArchivoPendiente.objects.en_curso().exists():
        logger.info("Hay archivos pendientes: se encola su procesamiento.")
        procesar_pendientes.delay()
