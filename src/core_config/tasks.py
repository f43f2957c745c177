from celery import shared_task
from django.conf import settings

from . import respaldos


@shared_task(name="core_config.respaldar")
def respaldar() -> str:
    """Respaldo diario programado por beat (volumen de respaldos en Docker)."""
    destino = respaldos.carpeta_de_respaldos()
    carpeta = respaldos.respaldar(destino)
    respaldos.podar(destino, settings.RESPALDOS_DIARIOS, settings.RESPALDOS_SEMANALES)
    return str(carpeta)
