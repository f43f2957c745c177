"""Procesos reales para las pruebas de fallas: workers, brokers y bases que se matan y reinician.

Las pruebas test_fallas*.py (y otras que levantan un worker) comparten estas piezas: arrancar
un `celery worker` y matarlo como un corte de luz, un valkey-server o un PostgreSQL propios que
se pueden reiniciar, esperar una condición, encolar una lista como la web y comparar la tabla
con su oráculo. Viven acá, en un módulo común, para que ninguna prueba importe de otra. Las
fixtures que las usan siguen en src/conftest.py o en la prueba (pytest sólo las busca ahí).
"""

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files import File
from django.db import connection

from core_config import broker_embebido
from core_config.celery import app
from importaciones import services
from importaciones.models import ArchivoPendiente
from precios.models import PrecioDeLista
from proveedores.models import Proveedor

# Plazo del reclamo de 5 s y barrido cada 1 s: lo que en producción tarda minutos, acá segundos.
RAPIDO = {"TARIFARIO_LEASE_SEGUNDOS": "5", "TARIFARIO_BARRIDO_SEGUNDOS": "1"}
TERMINADOS = ("procesado", "error", "cancelado", "revisar")


def esperar(condicion: Callable[[], bool], segundos: float = 60, mensaje: str = "") -> None:
    limite = time.monotonic() + segundos
    while not condicion():
        if time.monotonic() > limite:
            pytest.fail(mensaje or "Se agotó la espera.")
        time.sleep(0.2)


def medir(escenario: str, **datos: object) -> None:
    print("MEDIDA", escenario, " ".join(f"{clave}={valor}" for clave, valor in datos.items()))


# --- Entorno de los subprocesos ------------------------------------------------------


def url_base_de_pruebas() -> str:
    datos = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{datos['NAME']}"
    clave = f":{datos['PASSWORD']}" if datos.get("PASSWORD") else ""
    return (
        f"postgres://{datos['USER']}{clave}@{datos['HOST'] or '127.0.0.1'}:"
        f"{datos['PORT'] or 5432}/{datos['NAME']}"
    )


def entorno_de_pruebas(broker: str) -> dict[str, str]:
    """Entorno para que un subproceso (worker, celery call) use la base y el broker de la prueba."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "core_config.settings_pruebas",
        "DATABASE_URL": url_base_de_pruebas(),
        "PRUEBAS_BROKER_URL": broker,
        # Resultados en otra base del mismo servidor, para `celery result`.
        "CELERY_RESULT_BACKEND": broker.rsplit("/", 1)[0] + "/1",
        "DATA_DIR": str(settings.DATA_DIR),
    }


def manage(entorno: dict[str, str], *argumentos: str, segundos: int = 180) -> str:
    """`manage.py …` en otro proceso, con su entorno; falla la prueba si no sale bien."""
    resultado = subprocess.run(
        [sys.executable, "manage.py", *argumentos],
        cwd=settings.BASE_DIR,
        env=entorno,
        capture_output=True,
        text=True,
        timeout=segundos,
        check=False,
    )
    assert resultado.returncode == 0, f"manage.py {argumentos[0]}:\n{resultado.stderr}"
    return resultado.stdout


# --- Workers de Celery ---------------------------------------------------------------


class Worker:
    def __init__(self, proceso: subprocess.Popen, log: Path) -> None:
        self.proceso = proceso
        self.log = log

    def salida(self) -> str:
        return self.log.read_text(errors="replace")


def lanzar_worker(
    entorno: dict[str, str], carpeta: Path, numero: int, concurrencia: int, beat: bool
) -> Worker:
    """Un `celery worker` en su propio grupo de procesos (para matarlo entero), sin esperarlo.

    Quien lo lanza lo anota antes de esperar a que arranque: si la prueba se corta mientras
    espera, igual hay que matarlo al final.
    """
    log = carpeta / f"worker-{numero}.log"
    comando = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "core_config",
        "worker",
        "--concurrency",
        str(concurrencia),
        "--without-mingle",
        "--without-gossip",
        "-l",
        "INFO",
        "-n",
        f"pruebas-{numero}-{uuid.uuid4().hex[:6]}@%h",
    ]
    if beat:
        comando += ["--beat", "--schedule", str(carpeta / f"beat-{numero}")]
    with log.open("wb") as salida:
        proceso = subprocess.Popen(
            comando,
            cwd=settings.BASE_DIR,
            env=entorno,
            stdout=salida,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Worker(proceso, log)


def esperar_que_arranque(trabajador: Worker, segundos: float = 60) -> None:
    """Hasta que el worker dice "ready."; si muere o tarda demasiado, lo mata y falla."""
    limite = time.monotonic() + segundos
    while "ready." not in trabajador.salida():
        if trabajador.proceso.poll() is not None or time.monotonic() > limite:
            matar_grupo(trabajador)
            pytest.fail(f"El worker no arrancó:\n{trabajador.salida()}")
        time.sleep(0.1)


def matar_grupo(trabajador: Worker) -> None:
    """SIGKILL al worker entero: proceso principal, pool, beat y lectores (como un corte de luz)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(trabajador.proceso.pid, signal.SIGKILL)
    trabajador.proceso.wait(timeout=10)


def cerrar_worker(trabajador: Worker) -> None:
    """Apagado ordenado si sigue vivo y después SIGKILL al grupo: no quedan lectores ni beat."""
    if trabajador.proceso.poll() is None:
        trabajador.proceso.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            trabajador.proceso.wait(timeout=10)
    # También los lectores y el beat que hayan quedado huérfanos en el grupo.
    matar_grupo(trabajador)


def pid_del_pool(archivo: ArchivoPendiente) -> int:
    """El proceso del pool que tiene el reclamo: la tarea anota "host:pid" al reclamar."""
    return int(actual(archivo).worker.rsplit(":", 1)[1])


def pids_muertos(trabajador: Worker) -> set[str]:
    """Procesos del pool que el worker vio morir por SIGKILL (el log repite cada línea)."""
    return set(re.findall(r"pid:(\d+) exited with 'signal 9", trabajador.salida()))


# --- Broker -------------------------------------------------------------------------


class BrokerPropio:
    """Un valkey-server sólo para una prueba: se puede matar y volver a levantar."""

    def __init__(self, directorio: Path) -> None:
        self.puerto = broker_embebido.puerto_libre()
        self.directorio = directorio
        self.url = f"redis://127.0.0.1:{self.puerto}/0"
        self.proceso = broker_embebido.iniciar(self.puerto, directorio)

    def reiniciar(self) -> None:
        """Muere sin guardar nada (SIGKILL) y arranca otro, mismo puerto y mismos argumentos."""
        self.proceso.kill()
        self.proceso.wait(timeout=10)
        self.proceso = broker_embebido.iniciar(self.puerto, self.directorio)

    def detener(self) -> None:
        self.proceso.kill()
        self.proceso.wait(timeout=10)


@contextlib.contextmanager
def publicando_en(url: str) -> Iterator[None]:
    """La app de la prueba publica en `url` (el broker propio) en vez del de la sesión.

    Se guardan y se devuelven tal cual el pool de conexiones y el de productores: cerrarlos
    rompería a las pruebas que vienen después (kombu los tiene registrados aparte).
    """
    anterior = (app.conf.broker_url, app._pool, app.amqp._producer_pool)
    app._pool = None
    app.amqp._producer_pool = None
    app.conf.broker_url = url
    try:
        yield
    finally:
        app.conf.broker_url, app._pool, app.amqp._producer_pool = anterior


# --- PostgreSQL descartable ---------------------------------------------------------


def carpeta_de_binarios() -> Path | None:
    """Donde están initdb y pg_ctl (no suelen estar en el PATH en Debian)."""
    candidatas = []
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        bindir = subprocess.run(
            ["pg_config", "--bindir"], capture_output=True, text=True, check=True, timeout=10
        ).stdout.strip()
        candidatas.append(Path(bindir))
    candidatas += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for carpeta in candidatas:
        if (carpeta / "initdb").is_file() and (carpeta / "pg_ctl").is_file():
            return carpeta
    return None


class ClusterDescartable:
    """Un PostgreSQL propio de la prueba en 127.0.0.1:puerto, que se puede reiniciar."""

    def __init__(self, carpeta: Path, binarios: Path) -> None:
        self.binarios = binarios
        self.datos = carpeta / "datos"
        self.log = carpeta / "postgresql.log"
        self.puerto = broker_embebido.puerto_libre()
        self.url = f"postgres://postgres@127.0.0.1:{self.puerto}/postgres"

    def _correr(self, programa: str, *argumentos: str) -> subprocess.CompletedProcess:
        comando = [str(self.binarios / programa), *argumentos]
        if os.geteuid() == 0:
            # initdb se niega a correr como root: el cluster es del usuario postgres.
            comando = ["runuser", "-u", "postgres", "--", *comando]
        return subprocess.run(comando, capture_output=True, text=True, timeout=120, check=False)

    def _pg_ctl(self, *argumentos: str) -> subprocess.CompletedProcess:
        opciones = f"-p {self.puerto} -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off"
        return self._correr(
            "pg_ctl", "-D", str(self.datos), "-l", str(self.log), "-w", "-o", opciones, *argumentos
        )

    def crear(self) -> None:
        creado = self._correr(
            "initdb",
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--no-sync",
            "-D",
            str(self.datos),
        )
        assert creado.returncode == 0, f"initdb falló:\n{creado.stdout}\n{creado.stderr}"
        arrancado = self._pg_ctl("start")
        assert arrancado.returncode == 0, f"No arrancó:\n{arrancado.stderr}\n{self.salida()}"

    def reiniciar(self) -> None:
        """Corta todas las conexiones, apaga y vuelve a arrancar (como un reinicio del servicio)."""
        reiniciado = self._pg_ctl("restart", "-m", "fast")
        assert reiniciado.returncode == 0, f"No se reinició:\n{reiniciado.stderr}\n{self.salida()}"

    def detener(self) -> None:
        self._pg_ctl("stop", "-m", "immediate")
        # Si pg_ctl no pudo, que no quede un postmaster huérfano ocupando el puerto.
        with contextlib.suppress(OSError, ValueError):
            pid = int((self.datos / "postmaster.pid").read_text().split("\n", 1)[0])
            os.kill(pid, signal.SIGQUIT)

    def salida(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


# --- Disco chico --------------------------------------------------------------------


@contextlib.contextmanager
def disco_chico(punto: Path, tamano: str) -> Iterator[Path]:
    """Un tmpfs de `tamano` montado en `punto` (hace falta root: si no, la prueba se omite)."""
    punto.mkdir()
    montado = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={tamano}", "tmpfs", str(punto)],
        capture_output=True,
        text=True,
        check=False,
    )
    if montado.returncode != 0:
        pytest.skip(f"No se puede montar un tmpfs acá (hace falta root): {montado.stderr.strip()}")
    try:
        yield punto
    finally:
        subprocess.run(["umount", "--lazy", str(punto)], check=True)


# --- Listas encoladas y su oráculo ---------------------------------------------------


def esperados(cantidad: int, inicio: int = 1, centavos: str = "5") -> dict[str, Decimal]:
    """La tabla que tiene que quedar: la misma fórmula que lista_con_banner, sin leer nada."""
    return {f"{i:05d}": Decimal(f"{i * 10}.{centavos}") for i in range(inicio, inicio + cantidad)}


def precios_de(proveedor: Proveedor) -> dict[str, Decimal]:
    return dict(PrecioDeLista.objects.filter(proveedor=proveedor).values_list("codigo", "precio"))


def encolar(proveedor: Proveedor, ruta: Path, avisar: bool = True) -> ArchivoPendiente:
    """Sube y confirma como la web (mapeo sugerido); el aviso al worker sale al hacer commit."""
    with ruta.open("rb") as contenido:
        subida, propuestas = services.subir_planilla(
            proveedor, File(contenido, name=ruta.name), ruta.name
        )
    (archivo,) = services.confirmar_importacion(
        subida, {propuestas[0].hoja.nombre: propuestas[0].mapeo}, encolar=avisar
    )
    return archivo


def actual(archivo: ArchivoPendiente) -> ArchivoPendiente:
    archivo.refresh_from_db()
    return archivo
