"""PostgreSQL que se reinicia (§6.1, escenario 14): entre dos importaciones y en plena importación.

`pg_ctl restart -m fast` sobre un cluster descartable (initdb en un directorio temporal, puerto
propio), nunca sobre el PostgreSQL compartido de la máquina. pytest-django no maneja esa base:
se migra con `manage.py migrate`, se encola con `manage.py importar_lista`, el worker la recibe
por DATABASE_URL y los resultados se leen con psycopg. Mismo estilo que test_fallas.py: la
prueba imprime una línea `MEDIDA …` (`pytest -rP`).
"""

import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from conftest import lista_con_banner
from importaciones.tests.procesos import (
    RAPIDO,
    TERMINADOS,
    ClusterDescartable,
    Worker,
    carpeta_de_binarios,
    entorno_de_pruebas,
    esperados,
    esperar,
    manage,
    medir,
)

pytestmark = [
    pytest.mark.worker,
    pytest.mark.fallas,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(300),
]


@pytest.fixture
def postgresql_descartable() -> Iterator[ClusterDescartable]:
    """Crea el cluster y, pase lo que pase en la prueba, lo detiene y borra su directorio."""
    if connection.vendor != "postgresql":
        pytest.skip(
            "Reinicia un PostgreSQL (un cluster descartable): corre en la pasada con "
            "DATABASE_URL=postgres://…; con SQLite no hay servidor que reiniciar."
        )
    binarios = carpeta_de_binarios()
    if binarios is None:
        pytest.skip(
            "No están initdb ni pg_ctl de PostgreSQL (apt-get install postgresql; "
            "`pg_config --bindir` dice dónde quedan)."
        )
    carpeta = Path(tempfile.mkdtemp(prefix="tarifario-pg-"))
    cluster = ClusterDescartable(carpeta, binarios)
    try:
        if os.geteuid() == 0:
            shutil.chown(carpeta, "postgres", "postgres")
        cluster.crear()
        yield cluster
    finally:
        cluster.detener()
        shutil.rmtree(carpeta, ignore_errors=True)


def consultar(url: str, sql: str, parametros: tuple = ()) -> list[tuple]:
    with psycopg.connect(url, connect_timeout=5) as conexion:
        return conexion.execute(sql, parametros).fetchall()


def importar(
    cluster: ClusterDescartable, entorno: dict[str, str], ruta: Path, abreviatura: str
) -> int:
    """Como una persona con `importar_lista`: registra, encola y devuelve el id del archivo."""
    salida = manage(entorno, "importar_lista", str(ruta), "--proveedor", abreviatura, "--crear")
    assert "Encolado(s) 1 archivo(s)" in salida
    ((archivo_id,),) = consultar(
        cluster.url,
        "SELECT a.id FROM importaciones_archivopendiente a JOIN proveedores_proveedor p "
        "ON p.id = a.proveedor_id WHERE p.abreviatura = %s",
        (abreviatura,),
    )
    return archivo_id


def archivo_en(cluster: ClusterDescartable, archivo_id: int) -> dict | None:
    """La fila del archivo, o None mientras la base está reiniciándose."""
    try:
        with psycopg.connect(cluster.url, connect_timeout=5) as conexion:
            cursor = conexion.execute(
                "SELECT estado, intentos, creados, filas_leidas, proximo_intento_en > now(), "
                "mensaje_error FROM importaciones_archivopendiente WHERE id = %s",
                (archivo_id,),
            )
            estado, intentos, creados, leidas, esperando, mensaje = cursor.fetchone()
    except psycopg.OperationalError:
        return None
    return {
        "estado": estado,
        "intentos": intentos,
        "creados": creados,
        "filas_leidas": leidas,
        "esperando": bool(esperando),
        "mensaje_error": mensaje,
    }


def precios_en(cluster: ClusterDescartable, abreviatura: str) -> dict[str, Decimal]:
    return dict(
        consultar(
            cluster.url,
            "SELECT l.codigo, l.precio FROM precios_preciodelista l JOIN proveedores_proveedor p "
            "ON p.id = l.proveedor_id WHERE p.abreviatura = %s",
            (abreviatura,),
        )
    )


def tareas_fallidas(trabajador: Worker) -> int:
    """Importaciones que terminaron en excepción. El barrido periódico sí puede fallar si le
    toca correr con la base caída: no toca ningún archivo y vuelve a correr en el próximo tic."""
    return len(re.findall(r"procesar_pendientes\[[^\]]+\] raised unexpected", trabajador.salida()))


def test_postgresql_reiniciado_entre_importaciones_y_en_plena_importacion_sin_reiniciar_el_worker(
    worker_con, broker_propio, postgresql_descartable, planillas, tmp_path
):
    cluster = postgresql_descartable
    propio = {"DATABASE_URL": cluster.url, "DATA_DIR": str(tmp_path / "datos")}
    entorno = {**entorno_de_pruebas(broker_propio.url), **propio}
    manage(entorno, "migrate", "--no-input")
    trabajador = worker_con({**RAPIDO, **propio}, beat=True, url_broker=broker_propio.url)

    def terminado(archivo_id: int) -> bool:
        fila = archivo_en(cluster, archivo_id)
        return fila is not None and fila["estado"] in TERMINADOS

    # Entre importaciones: las conexiones que el worker tenga abiertas (la del beat) mueren.
    antes = importar(
        cluster, entorno, planillas["csv"]({"L": lista_con_banner(500)}, "a.csv"), "ANT"
    )
    esperar(lambda: terminado(antes), 60, trabajador.salida())
    cluster.reiniciar()
    reinicio = time.monotonic()
    despues = importar(
        cluster, entorno, planillas["csv"]({"L": lista_con_banner(500)}, "d.csv"), "DES"
    )
    esperar(lambda: terminado(despues), 90, trabajador.salida())
    entre = time.monotonic() - reinicio

    fila = archivo_en(cluster, despues)
    assert (fila["estado"], fila["intentos"], fila["creados"]) == ("procesado", 1, 500)
    assert precios_en(cluster, "DES") == esperados(500)
    assert precios_en(cluster, "ANT") == esperados(500)

    # En plena importación: la lectura renueva el reclamo cada 2000 filas y choca con el corte.
    filas = 100_000
    grande = importar(
        cluster, entorno, planillas["csv"]({"L": lista_con_banner(filas)}, "g.csv"), "GRA"
    )
    esperar(
        lambda: (archivo_en(cluster, grande) or {}).get("filas_leidas", 0) > 20_000,
        120,
        trabajador.salida(),
    )
    cluster.reiniciar()
    corte = time.monotonic()
    esperar(
        lambda: (archivo_en(cluster, grande) or {}).get("estado") == "pendiente",
        30,
        f"No volvió a pendiente:\n{trabajador.salida()}",
    )
    fila = archivo_en(cluster, grande)
    assert (fila["intentos"], fila["esperando"], fila["mensaje_error"]) == (1, True, "")
    assert precios_en(cluster, "GRA") == {}

    esperar(lambda: terminado(grande), 120, trabajador.salida())
    recuperacion = time.monotonic() - corte
    fila = archivo_en(cluster, grande)
    assert (fila["estado"], fila["intentos"], fila["creados"]) == ("procesado", 2, filas)
    assert precios_en(cluster, "GRA") == esperados(filas)
    assert "error pasajero de la base" in trabajador.salida()
    # Lo devolvió a pendiente el mismo worker, sin esperar a que venza el plazo del reclamo.
    assert "no se pudo reprogramar" not in trabajador.salida()
    # El mismo worker de siempre (nadie lo reinició) y ninguna tarea fallida en el monitor:
    # Celery cierra la conexión a la base antes y después de cada tarea.
    assert trabajador.proceso.poll() is None
    assert tareas_fallidas(trabajador) == 0, trabajador.salida()
    medir(
        "14-postgresql-reiniciado",
        perdidos=0,
        duplicados=0,
        entre_importaciones_s=f"{entre:.1f}",
        tareas_fallidas=0,
        en_plena_importacion_s=f"{recuperacion:.1f}",
    )
