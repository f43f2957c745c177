"""Los estados de un ArchivoPendiente: estas funciones son las únicas que escriben `estado`.

    pendiente ──reclamar_siguiente──▶ procesando ──finalizar──▶ procesado, error,
        │                               │  ▲                      revisar o cancelado
        │                               │  └ latido / renovar_reclamo (corren el plazo)
        │                               └──reintentar_mas_tarde──▶ pendiente (o error)
        └──cancelar_archivo──▶ cancelado
    error │ cancelado │ revisar ──volver_a_pendiente──▶ pendiente
    procesado ──marcar_deshecho──▶ deshecho

Cada paso es un UPDATE condicional sobre el estado de partida (y, mientras se procesa, sobre
el token del reclamo): si dos workers o dos clics compiten, uno actualiza 0 filas y no hace
nada. Igual en SQLite y PostgreSQL.
"""

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection
from django.db.models import F
from django.utils import timezone

from .models import ArchivoPendiente

logger = logging.getLogger(__name__)

ESTADO = ArchivoPendiente.Estado

# Cuánto insiste un worker en devolver a pendiente un archivo cuando la base se cayó.
REPROGRAMAR_SEGUNDOS = 15


class ReclamoPerdido(Exception):
    """Otro worker tomó el archivo (venció el plazo): este no debe confirmar nada."""


def nombre_worker() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def reclamar_siguiente(ids: list[int] | None = None) -> ArchivoPendiente | None:
    """Toma el archivo pendiente más viejo con un UPDATE condicional.

    Si dos workers compiten por el mismo archivo, el UPDATE de uno afecta 0 filas y pasa
    al siguiente. Un archivo "procesando" cuyo plazo venció (el worker murió) se puede
    volver a tomar; después de TARIFARIO_MAX_INTENTOS queda en error.
    """
    while True:
        ahora = timezone.now()
        reclamables = ArchivoPendiente.objects.reclamables(ahora)
        if ids is not None:
            reclamables = reclamables.filter(pk__in=ids)
        candidato = reclamables.order_by("fecha_subida", "id").values_list("pk", flat=True).first()
        if candidato is None:
            return None
        tomado = reclamables.filter(pk=candidato).update(
            estado=ESTADO.PROCESANDO,
            token=uuid.uuid4(),
            intentos=F("intentos") + 1,
            vence_en=_vencimiento(ahora),
            iniciado_en=ahora,
            proximo_intento_en=None,
            worker=nombre_worker(),
        )
        if not tomado:
            continue
        archivo = ArchivoPendiente.objects.select_related("proveedor", "subida").get(pk=candidato)
        if archivo.intentos > settings.TARIFARIO_MAX_INTENTOS:
            finalizar_con_error(
                archivo,
                f"El archivo interrumpió el procesamiento {archivo.intentos - 1} veces "
                "(el worker se cayó leyéndolo). Revisalo o dividilo y volvé a subirlo.",
            )
            continue
        return archivo


def _mientras_lo_tenga(archivo: ArchivoPendiente):
    return ArchivoPendiente.objects.filter(
        pk=archivo.pk, token=archivo.token, estado=ESTADO.PROCESANDO
    )


def _vencimiento(desde) -> datetime:
    return desde + timedelta(seconds=settings.TARIFARIO_LEASE_SEGUNDOS)


def _correr_plazo(archivo: ArchivoPendiente, **campos) -> int:
    """Corre el plazo (y guarda `campos`) si el reclamo sigue siendo suyo; 0 si no."""
    return _mientras_lo_tenga(archivo).update(vence_en=_vencimiento(timezone.now()), **campos)


def anotar(archivo: ArchivoPendiente, **campos) -> None:
    """Guarda datos del avance (total, rutas) si este worker sigue teniendo el reclamo."""
    _mientras_lo_tenga(archivo).update(**campos)


def renovar_reclamo(archivo: ArchivoPendiente, filas_leidas: int) -> None:
    """Corre el plazo del reclamo; ReclamoPerdido si otro worker ya lo tomó."""
    if not _correr_plazo(archivo, filas_leidas=filas_leidas):
        raise ReclamoPerdido


@contextmanager
def latido(archivo: ArchivoPendiente) -> Iterator[None]:
    """Mientras dura el bloque, un hilo corre el plazo del reclamo cada tercio del plazo.

    No depende del avance: también late mientras la base aplica la lista (minutos con
    millones de filas), así el plazo puede ser corto y un worker muerto se nota enseguida.
    """
    parar = threading.Event()
    hilo = threading.Thread(
        target=_latir, args=(archivo, parar), name=f"latido-{archivo.pk}", daemon=True
    )
    hilo.start()
    try:
        yield
    finally:
        parar.set()
        hilo.join()


def _latir(archivo: ArchivoPendiente, parar: threading.Event) -> None:
    intervalo = max(settings.TARIFARIO_LEASE_SEGUNDOS / 3, 0.5)
    try:
        while not parar.wait(intervalo):
            try:
                vigente = _correr_plazo(archivo)
            except (OperationalError, InterfaceError) as error:
                # SQLite: la carga tiene la base tomada (y mientras tanto nadie más puede
                # reclamar); PostgreSQL caído: el worker ya lo maneja. Late en la próxima.
                logger.info("Archivo %s: el latido no llegó a la base (%s).", archivo.pk, error)
                continue
            if not vigente:
                return  # ya terminó u otro lo tomó: quien procesa se entera al confirmar
    finally:
        connection.close()  # la conexión de este hilo


def liberar_reclamos_de_procesos_muertos() -> int:
    """Vence ya el reclamo de los archivos que tomó un proceso de esta máquina que no existe.

    Un worker que arranca después de un corte de luz o de un SIGKILL no espera el plazo:
    el proceso que los tenía (`worker` = "máquina:pid") no está, así que nadie los procesa.
    """
    prefijo = f"{socket.gethostname()}:"
    liberados = 0
    en_curso = ArchivoPendiente.objects.filter(
        estado=ESTADO.PROCESANDO, worker__startswith=prefijo
    ).values_list("pk", "worker")
    for pk, worker in list(en_curso):
        pid = worker.removeprefix(prefijo)
        if pid.isdigit() and not _proceso_vivo(int(pid)):
            # Con el mismo `worker`: si otro proceso lo reclamó recién, no se toca.
            liberados += ArchivoPendiente.objects.filter(
                pk=pk, estado=ESTADO.PROCESANDO, worker=worker
            ).update(vence_en=timezone.now())
    if liberados:
        logger.warning("Se liberaron %s archivos de procesos que ya no existen.", liberados)
    return liberados


def _proceso_vivo(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # existe, de otro usuario
    # Un proceso muerto cuyo padre también murió queda zombi hasta que alguien lo recoge
    # (en un contenedor, a veces nunca): existe para kill(), pero no procesa nada.
    try:
        estado = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return True  # sin /proc: lo que dijo kill()
    return estado != "Z"


def finalizar(archivo: ArchivoPendiente, **campos) -> None:
    """Cierra el archivo sólo si este worker sigue teniendo el reclamo (commit con token)."""
    actualizados = _mientras_lo_tenga(archivo).update(
        finalizado_en=timezone.now(), vence_en=None, **campos
    )
    if actualizados != 1:
        raise ReclamoPerdido


def finalizar_con_error(archivo: ArchivoPendiente, mensaje: str) -> None:
    finalizar(archivo, estado=ESTADO.ERROR, mensaje_error=mensaje)


def reintentar_mas_tarde(archivo: ArchivoPendiente, error: Exception) -> None:
    """Vuelve a pendiente con espera creciente (30 s, 60 s, 120 s… hasta 10 min)."""
    espera = min(30 * 2 ** max(archivo.intentos - 1, 0), 600)
    ultimo = archivo.intentos >= settings.TARIFARIO_MAX_INTENTOS
    # Un reinicio de PostgreSQL corta la conexión y tarda un par de segundos en volver: se
    # insiste hasta REPROGRAMAR_SEGUNDOS antes de dejárselo al barrido, que lo retomaría
    # recién al vencer el plazo del reclamo.
    limite = time.monotonic() + REPROGRAMAR_SEGUNDOS
    while True:
        # La conexión puede haber quedado inservible: la próxima consulta abre otra.
        connection.close()
        try:
            _mientras_lo_tenga(archivo).update(
                estado=ESTADO.ERROR if ultimo else ESTADO.PENDIENTE,
                proximo_intento_en=None if ultimo else timezone.now() + timedelta(seconds=espera),
                vence_en=None,
                mensaje_error=(
                    f"La base de datos falló {archivo.intentos} veces al importar ({error})."
                    if ultimo
                    else ""
                ),
            )
            return
        except (OperationalError, InterfaceError):
            if time.monotonic() >= limite:
                # La base sigue caída: el plazo del reclamo vence y el barrido lo retoma.
                logger.warning(
                    "Archivo %s: no se pudo reprogramar; lo retoma el barrido.", archivo.pk
                )
                return
            time.sleep(1)


def cancelar_archivo(archivo_id: int) -> bool:
    """Cancela un archivo que todavía no empezó; False si ya no estaba pendiente."""
    return bool(
        ArchivoPendiente.objects.filter(pk=archivo_id, estado=ESTADO.PENDIENTE).update(
            estado=ESTADO.CANCELADO,
            finalizado_en=timezone.now(),
            mensaje_error="Cancelado antes de procesarse.",
        )
    )


def volver_a_pendiente(
    archivo_id: int,
    estados: tuple[str, ...] = (ESTADO.ERROR, ESTADO.CANCELADO, ESTADO.REVISAR),
    **campos,
) -> bool:
    """Un archivo terminado sin aplicar vuelve a la cola (sin encolar el aviso).

    Dos pedidos seguidos (doble clic) lo vuelven una sola vez.
    """
    return bool(
        ArchivoPendiente.objects.filter(pk=archivo_id, estado__in=estados).update(
            estado=ESTADO.PENDIENTE,
            intentos=0,
            mensaje_error="",
            finalizado_en=None,
            token=None,
            **campos,
        )
    )


def marcar_deshecho(archivo_id: int, cuando) -> None:
    """La importación aplicada se deshizo (en la transacción que restauró los precios)."""
    ArchivoPendiente.objects.filter(pk=archivo_id, estado=ESTADO.PROCESADO).update(
        estado=ESTADO.DESHECHO, deshecho_en=cuando
    )
