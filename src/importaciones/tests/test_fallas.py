"""Fallas inyectadas con procesos reales: workers que mueren, Redis que se reinicia, base que corta.

Cada prueba mide cuánto tarda en recuperarse y lo imprime en una línea `MEDIDA …`
(`pytest -rP` las muestra); docs/CONFIABILIDAD.md resume esas medidas. El oráculo de
cada tabla de precios se calcula aparte, con la misma fórmula que genera la planilla.
Workers, brokers y ayudantes que comparten todas las test_fallas*.py: procesos.py.
"""

import io
import os
import signal
import sqlite3
import threading
import time
import zipfile
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
import redis
import xlsxwriter
from celery import Celery
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.utils import timezone

from conftest import lista_con_banner
from importaciones import reclamo, services
from importaciones.lectores import FIRMA_OLE2, ErrorPlanilla
from importaciones.models import ArchivoPendiente, Subida
from importaciones.tests.procesos import (
    RAPIDO,
    TERMINADOS,
    actual,
    disco_chico,
    encolar,
    esperados,
    esperar,
    matar_grupo,
    medir,
    pid_del_pool,
    pids_muertos,
    precios_de,
    url_base_de_pruebas,
)
from precios.models import PrecioDeLista
from proveedores.models import Proveedor

pytestmark = [
    pytest.mark.worker,
    pytest.mark.fallas,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(240),
]

solo_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="Necesita PostgreSQL (DATABASE_URL=postgres://…): SQLite no tiene backends ni "
    "SELECT … FOR UPDATE.",
)


# --- Workers que mueren -----------------------------------------------------------


def test_sigkill_al_worker_entero_en_plena_importacion_se_aplica_una_sola_vez(
    worker_con, proveedor, planillas
):
    filas = 150_000
    ruta = planillas["csv"]({"L": lista_con_banner(filas)})
    primero = worker_con(RAPIDO)
    archivo = encolar(proveedor, ruta)
    esperar(lambda: actual(archivo).filas_leidas > 40_000, 120, f"No avanzó:\n{primero.salida()}")

    matar_grupo(primero)
    muerte = time.monotonic()
    assert actual(archivo).estado == "procesando"
    assert not PrecioDeLista.objects.exists()

    # Sin barrido, el mensaje volvería recién con el visibility_timeout de Redis (1 h).
    segundo = worker_con(RAPIDO, beat=True)
    esperar(
        lambda: actual(archivo).estado in TERMINADOS, 180, f"No se recuperó:\n{segundo.salida()}"
    )
    recuperacion = time.monotonic() - muerte

    assert (archivo.estado, archivo.intentos, archivo.creados) == ("procesado", 2, filas)
    assert archivo.worker.endswith(f":{pid_del_pool(archivo)}")
    assert precios_de(proveedor) == esperados(filas)
    medir("4-sigkill-worker", perdidos=0, duplicados=0, recuperacion_s=f"{recuperacion:.1f}")


def test_sigkill_al_proceso_del_pool_lo_recupera_el_plazo_del_reclamo(
    worker_con, proveedor, planillas
):
    filas = 100_000
    trabajador = worker_con(RAPIDO, beat=True)
    archivo = encolar(proveedor, planillas["csv"]({"L": lista_con_banner(filas)}))
    esperar(lambda: actual(archivo).filas_leidas > 20_000, 120, trabajador.salida())

    os.kill(pid_del_pool(archivo), signal.SIGKILL)
    muerte = time.monotonic()
    esperar(lambda: actual(archivo).estado in TERMINADOS, 120, trabajador.salida())
    recuperacion = time.monotonic() - muerte

    assert (archivo.estado, archivo.intentos) == ("procesado", 2)
    assert precios_de(proveedor) == esperados(filas)
    # Celery confirma el mensaje del hijo muerto (WorkerLostError): lo rescató la base.
    assert "WorkerLostError" in trabajador.salida()
    assert trabajador.proceso.poll() is None
    medir("6-sigkill-pool", perdidos=0, duplicados=0, recuperacion_s=f"{recuperacion:.1f}")


# --- Redis y la base que se caen ----------------------------------------------------


def test_redis_reiniciado_sin_persistencia_no_pierde_ningun_archivo(
    worker_con, broker_propio, planillas
):
    trabajador = worker_con(
        {**RAPIDO, "TARIFARIO_BARRIDO_SEGUNDOS": "2"}, beat=True, url_broker=broker_propio.url
    )
    # La web publica en el broker de la prueba: acá se publica igual, en el broker propio.
    publicador = Celery(broker=broker_propio.url, set_as_current=False)
    cola = redis.Redis.from_url(broker_propio.url)

    def avisar(archivo: ArchivoPendiente) -> None:
        publicador.send_task("importaciones.procesar_pendientes", kwargs={"archivo_id": archivo.pk})

    proveedores = [
        Proveedor.objects.create(nombre=f"P{i}", abreviatura=f"P{i:02d}") for i in range(11)
    ]
    grande = encolar(
        proveedores[0], planillas["csv"]({"L": lista_con_banner(100_000)}, "grande.csv"), False
    )
    avisar(grande)
    esperar(lambda: actual(grande).filas_leidas > 10_000, 120, trabajador.salida())
    chicos = [
        encolar(p, planillas["csv"]({"L": lista_con_banner(50, inicio=i * 100)}, f"{i}.csv"), False)
        for i, p in enumerate(proveedores[1:], start=1)
    ]
    for archivo in chicos:
        avisar(archivo)
    assert actual(grande).estado == "procesando"
    assert cola.llen("celery") >= 10

    broker_propio.reiniciar()
    reinicio = time.monotonic()
    assert cola.llen("celery") == 0 and cola.hlen("unacked") == 0  # se perdió todo

    todos = [grande, *chicos]
    esperar(lambda: all(actual(a).estado in TERMINADOS for a in todos), 180, trabajador.salida())
    recuperacion = time.monotonic() - reinicio
    assert [a.estado for a in todos] == ["procesado"] * 11
    assert grande.creados == 100_000 and precios_de(proveedores[0]) == esperados(100_000)
    for i, (proveedor, archivo) in enumerate(zip(proveedores[1:], chicos, strict=True), start=1):
        assert archivo.creados == 50 and archivo.intentos == 1
        assert precios_de(proveedor) == esperados(50, inicio=i * 100)
    assert trabajador.proceso.poll() is None
    medir(
        "11-redis-reiniciado",
        perdidos=0,
        duplicados=0,
        intentos_del_grande=grande.intentos,
        recuperacion_s=f"{recuperacion:.1f}",
    )


@solo_postgresql
def test_conexion_a_postgresql_cortada_vuelve_a_pendiente_y_termina(
    worker_con, proveedor, planillas
):
    filas = 100_000
    trabajador = worker_con(RAPIDO, beat=True)
    archivo = encolar(proveedor, planillas["csv"]({"L": lista_con_banner(filas)}))
    esperar(lambda: actual(archivo).filas_leidas > 20_000, 120, trabajador.salida())

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
            "application_name = 'tarifario' AND datname = current_database() "
            "AND pid <> pg_backend_pid()"
        )
        assert cursor.rowcount >= 1
    corte = time.monotonic()
    esperar(lambda: actual(archivo).estado == "pendiente", 30, trabajador.salida())
    assert archivo.proximo_intento_en > timezone.now() and archivo.intentos == 1
    assert archivo.mensaje_error == "" and not PrecioDeLista.objects.exists()

    esperar(lambda: actual(archivo).estado in TERMINADOS, 120, trabajador.salida())
    recuperacion = time.monotonic() - corte
    assert (archivo.estado, archivo.intentos, archivo.creados) == ("procesado", 2, filas)
    assert precios_de(proveedor) == esperados(filas)
    assert "error pasajero de la base" in trabajador.salida()
    medir("13-postgresql-cortado", perdidos=0, duplicados=0, recuperacion_s=f"{recuperacion:.1f}")


# --- Concurrencia ------------------------------------------------------------------


def test_dos_listas_del_mismo_proveedor_gana_la_subida_mas_tarde(worker_con, proveedor, planillas):
    worker_con(concurrencia=2)
    filas = 20_000
    # La primera además trae 60.000 filas de rubro que se descartan: tarda más en leerse,
    # así la segunda se aplica antes y la primera, más vieja, no debe pisarla.
    relleno = [[f"RUBRO {i}", "", "", "", "", ""] for i in range(60_000)]
    primera = encolar(
        proveedor, planillas["csv"]({"L": lista_con_banner(filas) + relleno}, "primera.csv")
    )
    segunda_lista = lista_con_banner(filas)
    for fila in segunda_lista[4:]:
        fila[3] = fila[3].replace(",5", ",75")
    segunda = encolar(proveedor, planillas["csv"]({"L": segunda_lista}, "segunda.csv"))
    esperar(lambda: all(actual(a).estado in TERMINADOS for a in (primera, segunda)), 120)

    assert segunda.estado == "procesado"
    assert precios_de(proveedor) == esperados(filas, centavos="75")
    if primera.estado == "procesado":
        # Se aplicó antes que la segunda: nunca las dos a la vez ni la vieja encima.
        assert primera.finalizado_en <= segunda.iniciado_en or primera.aplicado_en < (
            segunda.aplicado_en
        )
    else:
        assert primera.estado == "cancelado" and "más nueva" in primera.mensaje_error
    medir("19-mismo-proveedor", primera=primera.estado, segunda=segunda.estado)


def test_cincuenta_archivos_a_la_vez_con_dos_procesos_terminan_todos_una_vez(
    worker_con, broker, planillas
):
    trabajador = worker_con(concurrencia=2)
    cola = redis.Redis.from_url(broker)
    # Lo que dejaron sin confirmar los workers matados en otras pruebas (vuelve en 1 h).
    huerfanos = cola.hlen("unacked")
    formatos = ["csv", "xlsx", "ods"]
    archivos = []
    inicio = time.monotonic()
    for i in range(50):
        proveedor = Proveedor.objects.create(nombre=f"Proveedor {i}", abreviatura=f"P{i:02d}")
        formato = formatos[i % 3]
        ruta = planillas[formato](
            {"Lista": lista_con_banner(200, inicio=i * 1000)}, f"{i}.{formato}"
        )
        archivos.append((proveedor, encolar(proveedor, ruta)))

    reservados = []

    def terminaron() -> bool:
        reservados.append(cola.hlen("unacked") - huerfanos)
        return not ArchivoPendiente.objects.en_curso().exists()

    esperar(terminaron, 180, trabajador.salida())
    duracion = time.monotonic() - inicio
    for i, (proveedor, archivo) in enumerate(archivos):
        actual(archivo)
        assert (archivo.estado, archivo.intentos, archivo.creados) == ("procesado", 1, 200)
        assert precios_de(proveedor) == esperados(200, inicio=i * 1000)
    # prefetch 1 × 2 procesos: nunca más de 2 mensajes retenidos por el worker.
    assert max(reservados) <= 2
    assert PrecioDeLista.objects.count() == 50 * 200
    medir("21-cincuenta-archivos", perdidos=0, duplicados=0, total_s=f"{duracion:.1f}")


def test_un_archivo_que_mata_al_proceso_cada_vez_termina_en_error_y_el_worker_sigue(
    worker_con, proveedor, planillas
):
    # Desde que la lectura corre aislada ningún archivo conocido mata al pool: se simula
    # con SIGKILL al proceso que lo reclama, en cada intento (como un OOM del kernel).
    trabajador = worker_con({**RAPIDO, "TARIFARIO_MAX_INTENTOS": "3"}, beat=True)
    veneno = encolar(proveedor, planillas["csv"]({"L": lista_con_banner(100_000)}, "veneno.csv"))
    otro = Proveedor.objects.create(nombre="Otro", abreviatura="OTR")
    bueno = encolar(otro, planillas["csv"]({"L": lista_con_banner(30)}, "bueno.csv"))
    inicio = time.monotonic()
    for intento in (1, 2, 3):
        esperar(
            lambda intento=intento: (
                actual(veneno).estado == "procesando" and veneno.intentos == intento
            ),
            60,
            trabajador.salida(),
        )
        os.kill(pid_del_pool(veneno), signal.SIGKILL)
    esperar(lambda: actual(veneno).estado in TERMINADOS, 60, trabajador.salida())
    esperar(lambda: actual(bueno).estado in TERMINADOS, 60, trabajador.salida())
    duracion = time.monotonic() - inicio

    assert veneno.estado == "error"
    assert "interrumpió el procesamiento 3 veces" in veneno.mensaje_error
    # El cuarto reclamo sólo lo cierra: no vuelve a leerlo ni entra en bucle.
    assert veneno.intentos == 4 and len(pids_muertos(trabajador)) == 3
    assert not precios_de(proveedor)
    assert (bueno.estado, bueno.intentos) == ("procesado", 1)
    assert precios_de(otro) == esperados(30)
    assert trabajador.proceso.poll() is None
    medir("7-veneno", intentos=3, muertes_del_worker=0, hasta_el_error_s=f"{duracion:.1f}")


# --- Locks -------------------------------------------------------------------------


@solo_postgresql
def test_lock_del_proveedor_ocupado_vuelve_a_pendiente_sin_error_postgresql(
    worker_con, proveedor, planillas
):
    trabajador = worker_con({**RAPIDO, "TARIFARIO_ESPERA_LOCK_SEGUNDOS": "1"}, beat=True)
    with psycopg.connect(url_base_de_pruebas()) as otra:
        otra.execute(
            # Como otra importación del mismo proveedor que está aplicando su lista.
            "SELECT id FROM proveedores_proveedor WHERE id = %s FOR NO KEY UPDATE",
            [proveedor.pk],
        )
        archivo = encolar(proveedor, planillas["csv"]({"L": lista_con_banner(500)}))
        esperar(
            lambda: actual(archivo).estado == "pendiente" and archivo.intentos == 1,
            60,
            trabajador.salida(),
        )
        assert archivo.proximo_intento_en > timezone.now() and archivo.mensaje_error == ""
        assert "lock timeout" in trabajador.salida()
        otra.rollback()
    liberado = time.monotonic()
    esperar(lambda: actual(archivo).estado in TERMINADOS, 90, trabajador.salida())
    assert (archivo.estado, archivo.intentos) == ("procesado", 2)
    assert precios_de(proveedor) == esperados(500)
    medir("15-lock-postgresql", perdidos=0, recuperacion_s=f"{time.monotonic() - liberado:.1f}")


def test_base_sqlite_bloqueada_vuelve_a_pendiente_sin_error(db, proveedor, planillas):
    if connection.vendor != "sqlite":
        pytest.skip("La variante de PostgreSQL es la del lock del proveedor, con un worker.")
    archivo = encolar(proveedor, planillas["csv"]({"L": lista_con_banner(500)}), avisar=False)
    reclamado = reclamo.reclamar_siguiente()
    # Otra conexión (la web, un script) toma la base para escribir y la suelta a los 2 s.
    otra = sqlite3.connect(
        connection.settings_dict["NAME"], isolation_level=None, check_same_thread=False
    )
    otra.execute("BEGIN IMMEDIATE")
    threading.Timer(2, otra.execute, ["ROLLBACK"]).start()
    with connection.cursor() as cursor:
        # Esperar 0,3 s en vez de los 30 de producción: el lock "tarda demasiado".
        cursor.execute("PRAGMA busy_timeout = 300")

    services.procesar_archivo(reclamado)

    actual(archivo)
    assert (archivo.estado, archivo.intentos, archivo.mensaje_error) == ("pendiente", 1, "")
    assert archivo.proximo_intento_en > timezone.now()
    assert services.procesar_pendientes() == []  # todavía no: espera su turno
    ArchivoPendiente.objects.filter(pk=archivo.pk).update(proximo_intento_en=timezone.now())
    (resumen,) = services.procesar_pendientes()
    assert resumen["estado"] == "procesado" and actual(archivo).intentos == 2
    assert precios_de(proveedor) == esperados(500)
    otra.close()


@solo_postgresql
def test_subir_otra_lista_no_espera_a_la_importacion_en_curso_del_proveedor(
    db, proveedor, planillas
):
    # Regresión: el lock del proveedor era FOR UPDATE y frenaba, hasta el fin de la carga,
    # cualquier INSERT que apuntara al proveedor (la FK pide FOR KEY SHARE).
    archivo = encolar(proveedor, planillas["csv"]({"L": lista_con_banner(5)}), avisar=False)
    tomado, soltar = threading.Event(), threading.Event()

    def importacion_en_curso() -> None:
        try:
            with transaction.atomic():
                services._hay_una_lista_mas_nueva(archivo)
                tomado.set()
                soltar.wait(30)
        finally:
            connection.close()

    hilo = threading.Thread(target=importacion_en_curso)
    hilo.start()
    try:
        assert tomado.wait(10)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '2s'")
        otra = encolar(proveedor, planillas["csv"]({"L": lista_con_banner(3)}, "otra.csv"), False)
        assert otra.estado == "pendiente"
    finally:
        soltar.set()
        hilo.join()


# --- Disco lleno -------------------------------------------------------------------


@pytest.fixture
def disco_de_1_mb(tmp_path: Path) -> Iterator[Path]:
    with disco_chico(tmp_path / "lleno", "1m") as punto:
        yield punto


def test_disco_lleno_al_subir_da_un_error_claro_y_no_deja_nada(
    cliente_staff, proveedor, disco_de_1_mb, settings
):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": disco_de_1_mb, "base_url": None},
        },
    }
    filas = lista_con_banner(40_000)
    contenido = "\\r\\n".join(";".join(map(str, fila)) for fila in filas).encode()
    assert len(contenido) > 2 * 1024 * 1024
    respuesta = cliente_staff.post(
        "/importaciones/",
        {"proveedor": proveedor.pk, "archivo": SimpleUploadedFile("lista.csv", contenido)},
    )

    assert respuesta.status_code == 200
    (error,) = respuesta.context["form"].errors["archivo"]
    assert "No hay espacio en el disco" in error
    assert not Subida.objects.exists()
    assert [ruta for ruta in disco_de_1_mb.rglob("*") if ruta.is_file()] == []


# --- Entradas malas en el worker (§6.3) --------------------------------------------

MAPEO = {"fila_encabezado": 1, "columnas": {"codigo": "A", "descripcion": "B", "precio": "C"}}


def bomba_de_filas(filas: int) -> bytes:
    """Un XLSX válido de ~280 KB cuya hoja se infla a ~84 MB de XML (300:1), 1,2 M de filas."""
    base = io.BytesIO()
    libro = xlsxwriter.Workbook(base)
    libro.add_worksheet("Lista").write_row(0, 0, ["Codigo", "Descripcion", "Precio"])
    libro.close()
    contenido = io.BytesIO()
    with (
        zipfile.ZipFile(base) as origen,
        zipfile.ZipFile(contenido, "w", zipfile.ZIP_DEFLATED) as destino,
    ):
        for nombre in origen.namelist():
            if nombre != "xl/worksheets/sheet1.xml":
                destino.writestr(nombre, origen.read(nombre))
                continue
            with destino.open(nombre, "w", force_zip64=True) as xml:
                xml.write(
                    b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.'
                    b'openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
                )
                bloque = b'<row><c t="inlineStr"><is><t>A</t></is></c><c/><c><v>1</v></c></row>'
                for _ in range(filas // 10_000):
                    xml.write(bloque * 10_000)
                xml.write(b"</sheetData></worksheet>")
    return contenido.getvalue()


def linea_de_50_mb() -> bytes:
    return b"Codigo;Descripcion;Precio\r\n" + b"A" * 50 * 1024 * 1024


MALOS = {
    # nombre: (formato que dijo la subida, hoja, fabrica el contenido, qué dice el error)
    "vacio.csv": ("csv", "CSV", lambda: b"", "no llega a la fila de encabezado"),
    "elf.xlsx": ("xlsx", "Lista", lambda: b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 4000, "dañad"),
    "zip_roto.xlsx": ("xlsx", "Lista", lambda: b"PK\x03\x04 esto no es un zip" * 50, "dañad"),
    # Firma OLE2 con "EncryptedPackage" pero sin ser un documento compuesto de verdad: la
    # subida la rechaza como "con contraseña" (test_aislamiento); acá no debe tumbar nada.
    "ole2_falso.xls": (
        "xls",
        "Lista",
        lambda: FIRMA_OLE2 + b"\x00" * 1000 + "EncryptedPackage".encode("utf-16-le") + b"\x00" * 9,
        "dañad",
    ),
    # La subida la rechaza por la relación de compresión; si llega igual, la frena el tope
    # de filas del lector, con memoria acotada.
    "bomba.xlsx": ("xlsx", "Lista", lambda: bomba_de_filas(1_200_000), "más de 1.100.000 filas"),
    "linea_de_50_mb.csv": (
        "csv",
        "CSV",
        linea_de_50_mb,
        "mal formado cerca de la fila 2",
    ),
}


def encolar_sin_controles(
    proveedor: Proveedor, nombre: str, formato: str, hoja: str, contenido: bytes
) -> ArchivoPendiente:
    """Un archivo que llega al worker sin pasar los controles de la subida (o que cambió en el
    disco después): el worker tiene que rechazarlo igual, sin caerse."""
    subida = Subida(
        proveedor=proveedor, nombre_original=nombre, formato=formato, tamano=len(contenido)
    )
    subida.archivo.save(nombre, ContentFile(contenido), save=False)
    subida.save()
    archivo = ArchivoPendiente.objects.create(
        proveedor=proveedor,
        subida=subida,
        hoja_origen=hoja,
        mapeo=MAPEO,
        nombre_archivo_origen=nombre,
        fecha_subida=subida.fecha,
    )
    services.encolar_procesamiento(archivo.pk)
    return archivo


def test_cada_entrada_mala_se_rechaza_en_castellano_y_el_worker_sigue_vivo(
    worker_con, proveedor, planillas
):
    # 400 MB de memoria para el lector: una línea de 50 MB no tiene que necesitar más.
    trabajador = worker_con({"TARIFARIO_LECTOR_MEMORIA_MB": "400"})
    inicio = time.monotonic()
    malos = {
        nombre: encolar_sin_controles(proveedor, nombre, formato, hoja, contenido())
        for nombre, (formato, hoja, contenido, _mensaje) in MALOS.items()
    }
    repetidos = encolar(
        proveedor,
        planillas["csv"](
            {"L": [["Codigo", "Descripcion", "Precio"], ["A1", "Uno", "10"], ["A1", "Otro", "12"]]},
            "repetidos.csv",
        ),
    )
    esperar(lambda: not ArchivoPendiente.objects.en_curso().exists(), 120, trabajador.salida())
    duracion = time.monotonic() - inicio

    mensajes = {
        nombre: (actual(a).estado, a.intentos, a.mensaje_error) for nombre, a in malos.items()
    }
    for nombre, (_formato, _hoja, _contenido, esperado) in MALOS.items():
        estado, intentos, mensaje = mensajes[nombre]
        assert (estado, intentos) == ("error", 1), (nombre, mensajes[nombre])
        assert esperado in mensaje, (nombre, mensaje)
    # Códigos repetidos: gana la primera fila y se avisa (en PostgreSQL, sin ON CONFLICT doble).
    assert (actual(repetidos).estado, repetidos.codigos_repetidos) == ("procesado", 1)
    assert precios_de(proveedor) == {"A1": Decimal("10")}
    assert trabajador.proceso.poll() is None and not pids_muertos(trabajador)
    assert "WorkerLostError" not in trabajador.salida()
    medir("23-36-entradas-malas", archivos=len(MALOS) + 1, muertes=0, total_s=f"{duracion:.1f}")


def test_una_celda_de_csv_de_50_mb_se_rechaza_al_subir_en_castellano(proveedor):
    with pytest.raises(ErrorPlanilla) as error:
        services.subir_planilla(
            proveedor, File(io.BytesIO(linea_de_50_mb()), name="x.csv"), "x.csv"
        )
    assert not Subida.objects.exists()
    assert "mal formado" in str(error.value)
    assert "field" not in str(error.value)
