"""Acciones del monitor: reintentar, reenviar, cancelar y purgar."""

import logging
import uuid
from datetime import timedelta

from celery import current_app
from django.db import transaction
from django.utils import timezone

from importaciones import reclamo

from .broker import ERRORES_BROKER, revocar
from .models import RegistroTarea

logger = logging.getLogger(__name__)
ESTADO = RegistroTarea.Estado


def reenviar(registro: RegistroTarea) -> str | None:
    """Manda otra vez la misma tarea con los mismos argumentos. Un doble clic manda una sola.

    Si la tarea trabajaba sobre un archivo con error o cancelado, el archivo vuelve
    a quedar pendiente (la base sigue siendo la verdad de lo que falta procesar).
    """
    nuevo_id = str(uuid.uuid4())
    with transaction.atomic():
        tomado = (
            RegistroTarea.objects.filter(pk=registro.pk, reenviada_como="")
            .exclude(estado__in=RegistroTarea.ACTIVAS)
            .update(reenviada_como=nuevo_id)
        )
        if not tomado:
            return None
        if registro.estado == ESTADO.ENCOLADA:
            # El mensaje se perdió (p. ej. Redis reiniciado): esta no va a correr nunca.
            RegistroTarea.objects.filter(pk=registro.pk).update(
                estado=ESTADO.REVOCADA,
                finalizada_en=timezone.now(),
                error=f"El mensaje se perdió en el broker; se reenvió como {nuevo_id}.",
            )
        if registro.archivo_id:
            reclamo.volver_a_pendiente(registro.archivo_id)
        argumentos = registro.argumentos or {}
        transaction.on_commit(
            lambda: current_app.send_task(
                registro.nombre,
                args=argumentos.get("args", []),
                kwargs=argumentos.get("kwargs", {}),
                task_id=nuevo_id,
            ),
            robust=True,
        )
    return nuevo_id


def cancelar(registro: RegistroTarea) -> bool:
    """Cancela una tarea encolada: no se ejecuta aunque el worker esté apagado ahora."""
    with transaction.atomic():
        cancelada = RegistroTarea.objects.filter(pk=registro.pk, estado=ESTADO.ENCOLADA).update(
            estado=ESTADO.REVOCADA,
            finalizada_en=timezone.now(),
            error="Cancelada desde el monitor.",
        )
        if cancelada and registro.archivo_id:
            reclamo.cancelar_archivo(registro.archivo_id)
    if cancelada:
        try:
            revocar(registro.tarea_id)
        except ERRORES_BROKER:
            # La marca en la base alcanza: la tarea la revisa antes de hacer nada.
            logger.warning("No se pudo avisar la cancelación de %s al broker.", registro.tarea_id)
    return bool(cancelada)


def purgar(dias: int) -> int:
    """Borra del historial las tareas terminadas hace más de `dias` días."""
    limite = timezone.now() - timedelta(days=dias)
    borradas, _ = RegistroTarea.objects.finalizadas().filter(encolada_en__lt=limite).delete()
    return borradas
