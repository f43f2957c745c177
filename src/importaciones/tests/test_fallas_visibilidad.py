"""Reentregas de Redis por visibility_timeout (§6.1, escenarios 5 y 8) y disco lleno en la base
SQLite (escenario 18), con procesos reales.

Mismo estilo que test_fallas.py: cada prueba imprime una línea `MEDIDA …` (`pytest -rP`).
Los workers corren con CELERY_VISIBILITY_TIMEOUT corto y kombu busca mensajes vencidos cada
1 s (settings_pruebas). Cada prueba usa su propio broker: con un plazo corto, el de la sesión
reentregaría también lo que dejaron sin confirmar los workers matados en otras pruebas.
"""

import contextlib
import json
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
import redis
from celery import Celery
from django.conf import settings
from django.db import connection

from conftest import lista_con_banner
from importaciones import services
from importaciones.models import ArchivoPendiente
from importaciones.tests.procesos import (
    RAPIDO,
    TERMINADOS,
    BrokerPropio,
    Worker,
    actual,
    disco_chico,
    encolar,
    entorno_de_pruebas,
    esperados,
    esperar,
    matar_grupo,
    medir,
    precios_de,
)
from monitor_tareas.models import RegistroTarea

pytestmark = [
    pytest.mark.worker,
    pytest.mark.fallas,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(240),
]


def avisar(broker: BrokerPropio, archivo: ArchivoPendiente) -> str:
    """Publica el aviso del archivo en el broker propio; devuelve el id del mensaje."""
    with Celery(broker=broker.url, set_as_current=False) as publicador:
        return publicador.send_task(
            "importaciones.procesar_pendientes", kwargs={"archivo_id": archivo.pk}
        ).id


def entregas(trabajador: Worker, tarea: str) -> int:
    """Cuántas veces recibió el worker ese mensaje (Celery loguea cada entrega)."""
    return trabajador.salida().count(f"procesar_pendientes[{tarea}] received")


def resultados(trabajador: Worker, tarea: str) -> list[str]:
    """Lo que devolvió cada ejecución del mensaje: "[]" es "no había nada que reclamar"."""
    return re.findall(
        rf"procesar_pendientes\[{tarea}\] succeeded in [\d.]+s: (.*)", trabajador.salida()
    )


# --- Reentregas por visibility_timeout ---------------------------------------------


def test_sigkill_al_worker_entero_y_el_mensaje_original_vuelve_sin_aplicar_de_nuevo(
    worker_con, broker_propio, proveedor, planillas
):
    # Como el escenario 4, pero el mensaje original también vuelve: a los 20 s de entregado.
    filas = 150_000
    entorno = {**RAPIDO, "CELERY_VISIBILITY_TIMEOUT": "20"}
    cola = redis.Redis.from_url(broker_propio.url)
    primero = worker_con(entorno, url_broker=broker_propio.url)
    archivo = encolar(proveedor, planillas["csv"]({"L": lista_con_banner(filas)}), avisar=False)
    tarea = avisar(broker_propio, archivo)
    esperar(lambda: actual(archivo).filas_leidas > 40_000, 120, f"No avanzó:\n{primero.salida()}")

    matar_grupo(primero)
    muerte = time.monotonic()
    assert actual(archivo).estado == "procesando"
    assert not precios_de(proveedor)
    assert cola.hlen("unacked") == 1  # el mensaje original, sin confirmar

    segundo = worker_con(entorno, beat=True, url_broker=broker_propio.url)
    esperar(
        lambda: actual(archivo).estado in TERMINADOS, 180, f"No se recuperó:\n{segundo.salida()}"
    )
    recuperacion = time.monotonic() - muerte
    esperar(lambda: resultados(segundo, tarea), 120, f"El original no volvió:\n{segundo.salida()}")
    descartado = time.monotonic() - muerte

    # La segunda entrega del original no encontró nada que reclamar: no hizo nada.
    assert entregas(primero, tarea) == 1 and entregas(segundo, tarea) == 1
    assert resultados(segundo, tarea) == ["[]"]
    registro = RegistroTarea.objects.get(tarea_id=tarea)
    assert (registro.estado, registro.resultado) == ("exitosa", [])
    # Y el archivo se aplicó una sola vez, en el segundo intento (ya en el worker nuevo).
    actual(archivo)
    assert (archivo.estado, archivo.intentos, archivo.creados) == ("procesado", 2, filas)
    assert archivo.actualizados == 0
    assert precios_de(proveedor) == esperados(filas)
    esperar(lambda: cola.hlen("unacked") == 0, 30, "Quedaron mensajes sin confirmar.")
    medir(
        "5-sigkill-worker-vt-20s",
        perdidos=0,
        duplicados=0,
        recuperacion_s=f"{recuperacion:.1f}",
        original_descartado_s=f"{descartado:.1f}",
    )


def test_importacion_mas_larga_que_el_visibility_timeout_llega_dos_veces_y_se_aplica_una(
    worker_con, broker_propio, proveedor, planillas
):
    # Plazo del reclamo de 10 min (el de producción): la copia no puede robarle el archivo.
    filas = 400_000
    trabajador = worker_con(
        {"CELERY_VISIBILITY_TIMEOUT": "5"}, concurrencia=2, url_broker=broker_propio.url
    )
    archivo = encolar(proveedor, planillas["csv"]({"L": lista_con_banner(filas)}), avisar=False)
    tarea = avisar(broker_propio, archivo)
    inicio = time.monotonic()
    esperar(lambda: entregas(trabajador, tarea) >= 2, 60, f"No volvió:\n{trabajador.salida()}")
    reentrega = time.monotonic() - inicio
    if actual(archivo).estado != "procesando":
        pytest.fail(
            "La importación terminó antes de la reentrega: hace falta un archivo más grande."
        )
    esperar(lambda: actual(archivo).estado in TERMINADOS, 180, trabajador.salida())
    duracion = time.monotonic() - inicio
    esperar(lambda: len(resultados(trabajador, tarea)) == entregas(trabajador, tarea), 30)

    assert (archivo.estado, archivo.intentos, archivo.creados) == ("procesado", 1, filas)
    assert precios_de(proveedor) == esperados(filas)
    # La copia corrió en el otro proceso del pool y terminó, sin reclamar nada, mientras el
    # original seguía importando; una sola ejecución aplicó el archivo.
    *copias, original = resultados(trabajador, tarea)
    assert copias and set(copias) == {"[]"}
    assert f"'archivo': {archivo.pk}, " in original and "'estado': 'procesado'" in original
    assert trabajador.proceso.poll() is None
    medir(
        "8-tarea-mas-larga-que-vt-5s",
        entregas=entregas(trabajador, tarea),
        aplicados=1,
        reentrega_s=f"{reentrega:.1f}",
        importacion_s=f"{duracion:.1f}",
    )


# --- Disco lleno en la base SQLite -------------------------------------------------

# Lo que ve la web con esa base: el monitor de tareas y la página del archivo.
WEB = """
import json, sys
import django
django.setup()
from django.contrib.auth import get_user_model
from django.test import Client
from django.test.utils import setup_test_environment
setup_test_environment()
cliente = Client()
cliente.force_login(get_user_model().objects.get(username="ana"))
respuestas = {url: cliente.get(url) for url in sys.argv[1:]}
print(json.dumps({url: [r.status_code, r.content.decode()] for url, r in respuestas.items()}))
"""


@pytest.fixture
def disco_de_8_mb(tmp_path: Path) -> Iterator[Path]:
    with disco_chico(tmp_path / "base", "8m") as punto:
        yield punto


def consultar(base: Path, sql: str, *parametros: object) -> list[tuple]:
    with contextlib.closing(sqlite3.connect(base, timeout=30)) as conexion:
        return conexion.execute(sql, parametros).fetchall()


@pytest.mark.skipif(
    connection.vendor != "sqlite",
    reason="Sólo SQLite: su base es un archivo que se puede poner en un tmpfs chico; el disco "
    "de PostgreSQL es del servidor.",
)
def test_disco_lleno_en_la_base_sqlite_deja_el_archivo_en_error_y_la_tabla_como_estaba(
    disco_de_8_mb, worker_con, broker_propio, proveedor, staff, planillas
):
    # La lista de antes, aplicada: es la tabla que tiene que quedar.
    encolar(proveedor, planillas["csv"]({"L": lista_con_banner(1_000)}, "vieja.csv"), False)
    assert [r["estado"] for r in services.procesar_pendientes()] == ["procesado"]
    filas = 200_000
    nueva = lista_con_banner(filas)
    for fila in nueva[4:]:
        fila[3] = fila[3].replace(",5", ",75")
    archivo = encolar(proveedor, planillas["csv"]({"L": nueva}, "nueva.csv"), avisar=False)
    # El worker usa una copia compacta de la base de la prueba, puesta en el disco chico.
    base = disco_de_8_mb / "tarifario.sqlite3"
    with connection.cursor() as cursor:
        # Lo que borraron otras pruebas sigue en los índices de texto (FTS5, la búsqueda de
        # precios) hasta que se optimizan: sin esto la copia podría no entrar.
        cursor.execute("SELECT name FROM sqlite_master WHERE sql LIKE '%%USING fts5%%'")
        for (tabla,) in cursor.fetchall():
            cursor.execute(f'INSERT INTO "{tabla}" ("{tabla}") VALUES (%s)', ["optimize"])
        cursor.execute("VACUUM INTO %s", [str(base)])
    assert base.stat().st_size < 3 * 1024 * 1024, "La copia casi llena el disco chico."

    # Al arrancar, el worker encola lo pendiente de su base (tasks.avisar_pendientes_al_arrancar).
    inicio = time.monotonic()
    trabajador = worker_con({"DATABASE_URL": f"sqlite:///{base}"}, url_broker=broker_propio.url)

    def estado() -> tuple[str, int, str, int]:
        (fila,) = consultar(
            base,
            "SELECT estado, intentos, mensaje_error, filas_leidas "
            "FROM importaciones_archivopendiente WHERE id = ?",
            archivo.pk,
        )
        return fila

    esperar(lambda: estado()[0] in TERMINADOS, 180, trabajador.salida())
    hasta_el_error = time.monotonic() - inicio

    estado_final, intentos, mensaje, leidas = estado()
    assert (estado_final, intentos, leidas) == ("error", 1, filas), trabajador.salida()
    assert mensaje == services.DISCO_DE_LA_BASE_LLENO
    assert "database or disk is full" in trabajador.salida()
    tabla = consultar(
        base,
        "SELECT codigo, precio FROM precios_preciodelista WHERE proveedor_id = ?",
        proveedor.pk,
    )
    assert {codigo: Decimal(str(precio)) for codigo, precio in tabla} == esperados(1_000)
    assert trabajador.proceso.poll() is None

    # La web sigue sirviendo con el disco todavía lleno (el WAL de la carga fallida lo ocupa
    # y se reutiliza): el monitor y la página del archivo con su error.
    assert shutil.disk_usage(disco_de_8_mb).free < 64 * 1024
    paginas = ("/tareas/", f"/importaciones/archivos/{archivo.pk}/")
    web = subprocess.run(
        [sys.executable, "-c", WEB, *paginas],
        cwd=settings.BASE_DIR,
        env={**entorno_de_pruebas(broker_propio.url), "DATABASE_URL": f"sqlite:///{base}"},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert web.returncode == 0, web.stderr
    respuestas = json.loads(web.stdout)
    assert [respuestas[url][0] for url in paginas] == [200, 200]
    assert "El disco de la base de datos está lleno" in respuestas[paginas[1]][1]
    matar_grupo(trabajador)  # suelta la base antes de desmontar el disco
    medir(
        "18-disco-lleno-sqlite",
        aplicados=0,
        tabla="sin-cambios",
        hasta_el_error_s=f"{hasta_el_error:.1f}",
    )
