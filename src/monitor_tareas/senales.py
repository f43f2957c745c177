"""Señales de Celery → RegistroTarea. Funciona con cualquier broker.

El lado que publica (web, comandos) registra la tarea como encolada; el worker
la marca al recibirla, al empezar y al terminar. Cada paso es un UPDATE por id,
así el orden en que llegan no importa y una tarea que nadie vio publicar (p.
ej. enviada con `celery call`) se registra cuando el worker la recibe.
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


def registrar_encolada(tarea_id: str, nombre: str, args, kwargs) -> None:
    argumentos = {"args": list(args or []), "kwargs": dict(kwargs or {})}
    RegistroTarea.objects.get_or_create(
        tarea_id=tarea_id,
        defaults={"nombre": nombre, "argumentos": argumentos, **_contexto(argumentos)},
    )


def _actualizar(tarea_id: str, **campos) -> None:
    # Una tarea cancelada desde el monitor queda cancelada aunque el worker igual la reciba
    # (la tarea misma no hace nada: ver RegistroTarea.fue_cancelada).
    RegistroTarea.objects.filter(tarea_id=tarea_id).exclude(estado=ESTADO.REVOCADA).update(**campos)


@signals.after_task_publish.connect
def al_publicar(sender=None, headers=None, body=None, **kwargs) -> None:
    headers = headers or {}
    args, kwargs_tarea = (body[0], body[1]) if isinstance(body, list | tuple) else ((), {})
    try:
        registrar_encolada(headers.get("id"), sender, args, kwargs_tarea)
    except DatabaseError:
        # La auditoría nunca debe impedir encolar: la tarea se registra al recibirla.
        logger.exception("No se pudo registrar la tarea encolada %s", headers.get("id"))


@signals.task_received.connect
def al_recibir(request=None, **kwargs) -> None:
    registrar_encolada(request.id, request.name, request.args, request.kwargs)


@signals.task_prerun.connect
def al_empezar(task_id=None, task=None, args=None, kwargs=None, **extra) -> None:
    registrar_encolada(task_id, task.name, args, kwargs)
    _actualizar(
        task_id,
        estado=ESTADO.ACTIVA,
        iniciada_en=timezone.now(),
        worker=task.request.hostname or "",
    )


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
