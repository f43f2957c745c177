"""Lo que se le pregunta al broker y a los workers, siempre con timeouts cortos.

La página del monitor nunca debe colgarse: si el broker no responde en un
segundo se muestra "broker no disponible".
"""

import json
import logging
from dataclasses import dataclass, field

from celery import current_app
from kombu import Connection
from kombu.exceptions import KombuError
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)
COLA = "celery"
ESPERA = 1.0
ERRORES_BROKER = (OSError, KombuError, RedisError)


@dataclass
class EstadoWorker:
    nombre: str
    concurrencia: int | None
    activas: int


@dataclass
class EstadoBroker:
    disponible: bool
    en_cola: int | None = None
    workers: list[EstadoWorker] = field(default_factory=list)
    error: str = ""


def revocar(tarea_id: str) -> None:
    """Avisa a los workers en línea que no ejecuten la tarea (sin esperar si no hay broker)."""
    with _conexion() as conexion:
        conexion.ensure_connection(max_retries=0, timeout=ESPERA)
        current_app.control.revoke(tarea_id, connection=conexion)


def _conexion() -> Connection:
    opciones = {"socket_timeout": ESPERA, "socket_connect_timeout": ESPERA, "max_retries": 0}
    return Connection(
        current_app.conf.broker_url, connect_timeout=ESPERA, transport_options=opciones
    )


def _ids_de_mensajes(crudos) -> set[str]:
    ids = set()
    for crudo in crudos:
        mensaje = json.loads(crudo)
        if isinstance(mensaje, list):  # hash "unacked": [mensaje, exchange, routing_key]
            mensaje = mensaje[0]
        ids.add(
            mensaje.get("headers", {}).get("id")
            or mensaje.get("properties", {}).get("correlation_id")
        )
    return ids


def ids_en_broker() -> set[str] | None:
    """Ids de las tareas en la cola o tomadas sin confirmar; None si no se puede saber."""
    try:
        with _conexion() as conexion:
            conexion.ensure_connection(max_retries=0, timeout=ESPERA)
            canal = conexion.default_channel
            cliente = getattr(canal, "client", None)
            if cliente is None:  # otro broker que Redis: no se puede mirar adentro
                return None
            return _ids_de_mensajes(cliente.lrange(COLA, 0, 4999)) | _ids_de_mensajes(
                cliente.hvals(canal.unacked_key)
            )
    except ERRORES_BROKER as error:
        logger.warning("No se pudo consultar el broker: %s", error)
        return None


def estado_broker() -> EstadoBroker:
    try:
        with _conexion() as conexion:
            conexion.ensure_connection(max_retries=0, timeout=ESPERA)
            canal = conexion.default_channel
            cliente = getattr(canal, "client", None)
            en_cola = (
                cliente.llen(COLA)
                if cliente is not None
                else canal.queue_declare(queue=COLA, passive=True).message_count
            )
            inspeccion = current_app.control.inspect(timeout=ESPERA / 2, connection=conexion)
            estadisticas = inspeccion.stats() or {}
            activas = inspeccion.active() or {}
    except ERRORES_BROKER as error:
        return EstadoBroker(disponible=False, error=str(error))
    workers = [
        EstadoWorker(
            nombre=nombre,
            concurrencia=(datos.get("pool") or {}).get("max-concurrency"),
            activas=len(activas.get(nombre, [])),
        )
        for nombre, datos in sorted(estadisticas.items())
    ]
    return EstadoBroker(disponible=True, en_cola=en_cola, workers=workers)
