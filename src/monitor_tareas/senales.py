"""Señales de Celery → RegistroTarea. Funciona con cualquier broker.

El lado que publica (web, comandos) registra la tarea como encolada antes de
mandarla; el worker la marca al empezar y al terminar, cada paso con un solo
UPDATE por id (importa para la latencia: ver bench/monitor.py). Una tarea que
nadie vio publicar (p. ej. enviada con `celery call`) se registra al empezar.
"""

import logging

from celery import signals
from django.db import DatabaseError
from django.db.models import F
from django.utils import timezone

from .models import RegistroTarea

logger = logging.getLogger(__name__)
ESTADO = RegistroTarea.Estado


def _contexto(argumentos: dict) -> dict:
    """Archivo y proveedor de las tareas que trabajan sobre un ArchivoPendiente."""
    from importaciones.models import ArchivoPendiente

    archivo_id = (argumentos.get("kwargs") or {}).get("archivo_id")
    if not archivo_id:
        return {}
    proveedor_id = (
        ArchivoPendiente.objects.filter(pk=archivo_id)
        .values_list("proveedor_id", flat=True)
        .first()
    )
    if proveedor_id is None:
        return {}
    return {"archivo_id": archivo_id, "proveedor_id": proveedor_id}


def registrar_encolada(tarea_id: str, nombre: str, args, kwargs, **campos) -> None:
    """Una sola consulta: si la tarea ya estaba registrada (reintento, reenvío) no hace nada."""
    argumentos = {"args": list(args or []), "kwargs": dict(kwargs or {})}
    registro = RegistroTarea(
        tarea_id=tarea_id, nombre=nombre, argumentos=argumentos, **_contexto(argumentos), **campos
    )
    RegistroTarea.objects.bulk_create([registro], ignore_conflicts=True)


def _actualizar(tarea_id: str, **campos) -> int:
    # Una tarea cancelada desde el monitor queda cancelada aunque el worker igual la reciba
    # (la tarea misma no hace nada: ver RegistroTarea.fue_cancelada).
    return (
        RegistroTarea.objects.filter(tarea_id=tarea_id)
        .exclude(estado=ESTADO.REVOCADA)
        .update(**campos)
    )


@signals.before_task_publish.connect
def al_publicar(sender=None, headers=None, body=None, **kwargs) -> None:
    # Antes de publicar: así el registro existe cuando el worker la empieza.
    headers = headers or {}
    args, kwargs_tarea = (body[0], body[1]) if isinstance(body, list | tuple) else ((), {})
    try:
        registrar_encolada(headers.get("id"), sender, args, kwargs_tarea)
    except DatabaseError:
        # La auditoría nunca debe impedir encolar: la tarea se registra al empezar.
        logger.exception("No se pudo registrar la tarea encolada %s", headers.get("id"))


@signals.task_prerun.connect
def al_empezar(task_id=None, task=None, args=None, kwargs=None, **extra) -> None:
    campos = {
        "estado": ESTADO.ACTIVA,
        "iniciada_en": timezone.now(),
        "worker": task.request.hostname or "",
    }
    if not _actualizar(task_id, **campos):
        # Nadie la vio publicar (p. ej. `celery call` fuera de Django): se registra ahora.
        registrar_encolada(task_id, task.name, args, kwargs, **campos)


@signals.task_success.connect
def al_terminar_bien(sender=None, result=None, **kwargs) -> None:
    _actualizar(
        sender.request.id,
        estado=ESTADO.EXITOSA,
        finalizada_en=timezone.now(),
        resultado=result if isinstance(result, dict | list | str | int | float) else repr(result),
    )


@signals.task_failure.connect
def al_fallar(task_id=None, exception=None, einfo=None, **kwargs) -> None:
    _actualizar(
        task_id,
        estado=ESTADO.FALLIDA,
        finalizada_en=timezone.now(),
        error=f"{type(exception).__name__}: {exception}",
        traceback=str(einfo.traceback) if einfo else "",
    )


@signals.task_retry.connect
def al_reintentar(request=None, reason=None, **kwargs) -> None:
    _actualizar(
        request.id,
        estado=ESTADO.REINTENTANDO,
        error=str(reason or ""),
        reintentos=F("reintentos") + 1,
    )


@signals.task_revoked.connect
def al_revocar(request=None, terminated=None, **kwargs) -> None:
    _actualizar(request.id, estado=ESTADO.REVOCADA, finalizada_en=timezone.now())
