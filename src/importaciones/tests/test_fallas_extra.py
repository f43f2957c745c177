"""Más fallas inyectadas con procesos reales (§6.1): broker caído al subir, apagado ordenado,
Redis reiniciado varias veces, SIGTERM seguido de SIGKILL, SQLite compartida y un archivo grande.

Mismo estilo que test_fallas.py: cada prueba imprime una línea `MEDIDA …` (`pytest -rP`).
"""

import signal
import time

import pytest
import redis
from celery import Celery
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from conftest import lista_con_banner
from importaciones.models import ArchivoPendiente
from importaciones.tests.procesos import (
    RAPIDO,
    TERMINADOS,
    actual,
    encolar,
    esperados,
    esperar,
    matar_grupo,
    medir,
    precios_de,
    publicando_en,
)

pytestmark = [
    pytest.mark.worker,
    pytest.mark.fallas,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(120),
]


def test_broker_caido_al_subir_el_archivo_queda_pendiente_y_se_procesa_al_volver(
    worker_con, broker_propio, proveedor, planillas
):
    broker_propio.detener()
    ruta = planillas["csv"]({"L": lista_con_banner(500)})
    with publicando_en(broker_propio.url):
        inicio = time.monotonic()
        archivo = encolar(proveedor, ruta)  # el aviso falla en silencio (on_commit robusto)
        demora = time.monotonic() - inicio
    assert actual(archivo).estado == "pendiente" and archivo.intentos == 0
    assert demora < 30

    broker_propio.reiniciar()
    vuelta = time.monotonic()
    trabajador = worker_con(RAPIDO, beat=True, url_broker=broker_propio.url)
    esperar(lambda: actual(archivo).estado in TERMINADOS, 60, trabajador.salida())
    recuperacion = time.monotonic() - vuelta

    assert (archivo.estado, archivo.intentos, archivo.creados) == ("procesado", 1, 500)
    assert precios_de(proveedor) == esperados(500)
    medir(
        "3-broker-caido-al-subir",
        perdidos=0,
        duplicados=0,
        encolar_s=f"{demora:.1f}",
        recuperacion_s=f"{recuperacion:.1f}",
    )


def test_sigterm_en_plena_importacion_termina_la_importacion_y_sale_limpio(
    worker_con, proveedor, planillas
):
    filas = 100_000
    trabajador = worker_con(RAPIDO)
    archivo = encolar(proveedor, planillas["csv"]({"L": lista_con_banner(filas)}))
    esperar(lambda: actual(archivo).filas_leidas > 10_000, 60, trabajador.salida())

    trabajador.proceso.send_signal(signal.SIGTERM)
    senal = time.monotonic()
    codigo = trabajador.proceso.wait(timeout=90)
    salida = time.monotonic() - senal

    actual(archivo)
    assert codigo == 0, trabajador.salida()
    assert (archivo.estado, archivo.intentos, archivo.creados) == ("procesado", 1, filas)
    assert precios_de(proveedor) == esperados(filas)
    assert "WorkerLostError" not in trabajador.salida()
    medir("9-sigterm", perdidos=0, duplicados=0, hasta_salir_s=f"{salida:.1f}")


def test_redis_reiniciado_tres_veces_con_el_worker_quieto_sigue_consumiendo(
    worker_con, broker_propio, proveedor, planillas
):
    trabajador = worker_con(url_broker=broker_propio.url)
    for _ in range(3):
        broker_propio.reiniciar()
        time.sleep(1)
    publicador = Celery(broker=broker_propio.url, set_as_current=False)
    archivo = encolar(proveedor, planillas["csv"]({"L": lista_con_banner(200)}), avisar=False)
    enviado = time.monotonic()
    publicador.send_task("importaciones.procesar_pendientes", kwargs={"archivo_id": archivo.pk})
    esperar(lambda: actual(archivo).estado in TERMINADOS, 30, trabajador.salida())
    demora = time.monotonic() - enviado

    assert (archivo.estado, archivo.intentos) == ("procesado", 1)
    assert precios_de(proveedor) == esperados(200)
    assert trabajador.proceso.poll() is None
    assert redis.Redis.from_url(broker_propio.url).ping()
    medir("12-redis-3-reinicios", perdidos=0, consumido_en_s=f"{demora:.1f}")


def test_sigterm_y_sigkill_a_los_3_s_lo_recupera_el_plazo_del_reclamo(
    worker_con, proveedor, planillas
):
    filas = 150_000
    primero = worker_con(RAPIDO)
    archivo = encolar(proveedor, planillas["csv"]({"L": lista_con_banner(filas)}))
    esperar(lambda: actual(archivo).filas_leidas > 4_000, 60, primero.salida())

    primero.proceso.send_signal(signal.SIGTERM)
    time.sleep(3)
    if actual(archivo).estado in TERMINADOS:
        pytest.fail("La importación terminó en menos de 3 s: hace falta un archivo más grande.")
    matar_grupo(primero)
    muerte = time.monotonic()

    segundo = worker_con(RAPIDO, beat=True)
    esperar(lambda: actual(archivo).estado in TERMINADOS, 90, segundo.salida())
    recuperacion = time.monotonic() - muerte

    assert (archivo.estado, archivo.intentos, archivo.creados) == ("procesado", 2, filas)
    assert precios_de(proveedor) == esperados(filas)
    medir("10-sigterm-sigkill", perdidos=0, duplicados=0, recuperacion_s=f"{recuperacion:.1f}")


def test_sqlite_subida_web_mientras_el_worker_escribe_no_muestra_base_bloqueada(
    worker_con, proveedor, planillas, cliente_staff
):
    if connection.vendor != "sqlite":
        pytest.skip("Sólo el modo embebido con SQLite comparte un archivo de base con el worker.")
    trabajador = worker_con(RAPIDO)
    grande = encolar(proveedor, planillas["csv"]({"L": lista_con_banner(150_000)}))
    esperar(lambda: actual(grande).filas_leidas > 10_000, 60, trabajador.salida())

    # Subidas por la web una detrás de otra hasta que la importación termina (lectura y carga).
    respuestas = []
    limite = time.monotonic() + 60
    while actual(grande).estado not in TERMINADOS and time.monotonic() < limite:
        contenido = "\r\n".join(";".join(map(str, f)) for f in lista_con_banner(50)).encode()
        respuestas.append(
            cliente_staff.post(
                "/importaciones/",
                {"proveedor": proveedor.pk, "archivo": SimpleUploadedFile("web.csv", contenido)},
            )
        )
    esperar(lambda: actual(grande).estado in TERMINADOS, 90, trabajador.salida())

    assert respuestas
    for respuesta in respuestas:
        assert respuesta.status_code == 302, respuesta.content[:500]
        assert b"database is locked" not in respuesta.content
    assert (grande.estado, grande.intentos, grande.creados) == ("procesado", 1, 150_000)
    assert precios_de(proveedor) == esperados(150_000)
    assert "database is locked" not in trabajador.salida()
    medir("16-sqlite-compartida", subidas_web=len(respuestas), bloqueos=0)


def test_archivo_de_300_mil_filas_termina_y_repetirlo_deja_la_misma_tabla(
    worker_con, proveedor, planillas
):
    filas = 300_000
    trabajador = worker_con()
    ruta = planillas["csv"]({"L": lista_con_banner(filas)})
    inicio = time.monotonic()
    primero = encolar(proveedor, ruta)
    esperar(lambda: actual(primero).estado in TERMINADOS, 100, trabajador.salida())
    duracion = time.monotonic() - inicio
    assert (primero.estado, primero.creados) == ("procesado", filas)
    tabla = precios_de(proveedor)
    assert tabla == esperados(filas)

    segundo = encolar(proveedor, ruta)
    esperar(lambda: actual(segundo).estado in TERMINADOS, 100, trabajador.salida())
    assert (segundo.estado, segundo.creados, segundo.actualizados) == ("procesado", 0, 0)
    assert segundo.sin_cambios == filas
    assert precios_de(proveedor) == tabla
    assert ArchivoPendiente.objects.count() == 2
    medir("22-300-mil-filas", filas=filas, primera_s=f"{duracion:.1f}")
