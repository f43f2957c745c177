"""Fixtures compartidas: planillas fabricadas por las pruebas, broker y worker reales.

Los procesos que arman las fixtures (workers, brokers propios) están en
importaciones/tests/procesos.py, junto con lo demás que comparten las pruebas de fallas.
"""

import csv
import io
import os
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlparse
from xml.sax.saxutils import escape

import pytest
import xlsxwriter
import xlwt
from django.conf import settings
from playwright.sync_api import Page, sync_playwright

from core_config import broker_embebido
from importaciones.tests.procesos import (
    BrokerPropio,
    Worker,
    cerrar_worker,
    entorno_de_pruebas,
    esperar_que_arranque,
    lanzar_worker,
)
from proveedores.models import Proveedor

CORPUS = Path(settings.REPO_DIR).parent / "shared" / "corpus_real"
CHROMIUM = Path("/usr/bin/chromium")

Filas = list[list[object]]


# --- Planillas de prueba -------------------------------------------------------------


def escribir_xlsx(ruta: Path, hojas: dict[str, Filas]) -> Path:
    libro = xlsxwriter.Workbook(
        str(ruta), {"strings_to_numbers": False, "strings_to_formulas": False}
    )
    for nombre, filas in hojas.items():
        hoja = libro.add_worksheet(nombre)
        for r, fila in enumerate(filas):
            for c, valor in enumerate(fila):
                if valor is not None:
                    hoja.write(r, c, valor)
    libro.close()
    return ruta


def escribir_xls(ruta: Path, hojas: dict[str, Filas]) -> Path:
    libro = xlwt.Workbook(encoding="utf-8")
    for nombre, filas in hojas.items():
        hoja = libro.add_sheet(nombre)
        for r, fila in enumerate(filas):
            for c, valor in enumerate(fila):
                if valor is not None:
                    hoja.write(r, c, valor)
    libro.save(str(ruta))
    return ruta


def escribir_ods(ruta: Path, hojas: dict[str, Filas]) -> Path:
    """Un ODS mínimo y válido escrito a mano (content.xml con tablas)."""
    tablas = []
    for nombre, filas in hojas.items():
        xml_filas = []
        for fila in filas:
            celdas = []
            for valor in fila:
                if valor is None or valor == "":
                    celdas.append("<table:table-cell/>")
                elif isinstance(valor, int | float):
                    celdas.append(
                        f'<table:table-cell office:value-type="float" office:value="{valor}">'
                        f"<text:p>{valor}</text:p></table:table-cell>"
                    )
                else:
                    celdas.append(
                        f'<table:table-cell office:value-type="string"><text:p>{escape(str(valor))}'
                        "</text:p></table:table-cell>"
                    )
            xml_filas.append(f"<table:table-row>{''.join(celdas)}</table:table-row>")
        tablas.append(
            f'<table:table table:name="{escape(nombre)}">{"".join(xml_filas)}</table:table>'
        )
    contenido = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f"<office:body><office:spreadsheet>{''.join(tablas)}</office:spreadsheet></office:body>"
        "</office:document-content>"
    )
    manifiesto = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
        'manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    with zipfile.ZipFile(ruta, "w") as libro:
        libro.writestr(
            zipfile.ZipInfo("mimetype"),
            "application/vnd.oasis.opendocument.spreadsheet",
            compress_type=zipfile.ZIP_STORED,
        )
        libro.writestr("META-INF/manifest.xml", manifiesto, compress_type=zipfile.ZIP_DEFLATED)
        libro.writestr("content.xml", contenido, compress_type=zipfile.ZIP_DEFLATED)
    return ruta


def escribir_csv(
    ruta: Path, filas: Filas, codificacion: str = "utf-8", delimitador: str = ","
) -> Path:
    texto = io.StringIO()
    csv.writer(texto, delimiter=delimitador, lineterminator="\r\n").writerows(filas)
    ruta.write_bytes(texto.getvalue().encode(codificacion))
    return ruta


def lista_con_banner(cantidad: int = 10, inicio: int = 1) -> Filas:
    """Una lista argentina típica: banner, encabezado en la fila 4, coma decimal, ceros."""
    filas: Filas = [
        ["DISTRIBUIDORA EL TORNILLO S.A. - LISTA DE PRECIOS N° 12"],
        ["Precios sin IVA - vigencia 01/08/2024"],
        [],
        ["Cód.", "Descripción", "Marca", "P. Lista", "IVA", "Bulto"],
    ]
    for i in range(inicio, inicio + cantidad):
        filas.append(
            [f"{i:05d}", f"Tornillo autorroscante {i} mm", "FIXER", f"{i * 10},5", "21%", "x10"]
        )
    return filas


@pytest.fixture
def planillas(tmp_path: Path) -> dict[str, Callable[..., Path]]:
    return {
        "xlsx": lambda hojas, nombre="lista.xlsx": escribir_xlsx(tmp_path / nombre, hojas),
        "xls": lambda hojas, nombre="lista.xls": escribir_xls(tmp_path / nombre, hojas),
        "ods": lambda hojas, nombre="lista.ods": escribir_ods(tmp_path / nombre, hojas),
        "csv": lambda hojas, nombre="lista.csv": escribir_csv(
            tmp_path / nombre, next(iter(hojas.values())), "cp1252", ";"
        ),
    }


@pytest.fixture
def proveedor(db) -> Proveedor:
    return Proveedor.objects.create(nombre="El Tornillo", abreviatura="TOR")


@pytest.fixture
def staff(db, django_user_model):
    return django_user_model.objects.create_user("ana", password="clave-segura-123", is_staff=True)


@pytest.fixture
def cliente_staff(client, staff):
    client.force_login(staff)
    return client


def corpus(nombre: str) -> Path:
    ruta = CORPUS / nombre
    if not ruta.exists():
        pytest.skip(
            f"El corpus real no está en {CORPUS} (sólo existe en CI y en el repo de trabajo)."
        )
    return ruta


# --- Broker y worker reales ----------------------------------------------------------


@pytest.fixture(scope="session")
def broker() -> Iterator[str]:
    """Un servidor compatible con Redis real (valkey-server) en un puerto propio."""
    url = settings.CELERY_BROKER_URL
    proceso = broker_embebido.iniciar(urlparse(url).port, Path(settings.DATA_DIR))
    yield url
    proceso.terminate()
    proceso.wait(timeout=10)


@pytest.fixture
def worker(worker_con) -> Worker:
    """Un `celery worker` real (concurrencia 1), contra la base y el broker de la prueba."""
    return worker_con()


# --- Navegador ---------------------------------------------------------------------


@pytest.fixture
def chromium() -> Path:
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"En CI hace falta el Chromium de Debian en {CHROMIUM}.")
        pytest.skip("Chromium de Debian no está instalado (apt-get install chromium)")
    return CHROMIUM


@pytest.fixture
def pagina(
    chromium: Path, monkeypatch: pytest.MonkeyPatch, live_server, worker, staff
) -> Iterator[Page]:
    """Una pestaña de Chromium, abierta después de todo lo que toca la base.

    Mientras corre el event loop de Playwright, Django guarda las conexiones del hilo
    principal aparte: una abierta ahí no se cierra nunca y PostgreSQL no puede borrar la
    base de pruebas. Por eso esta fixture pide live_server, worker y staff (se arman antes
    y se desarman después) y la prueba no usa el ORM mientras el navegador está abierto.
    """
    # La API sincrónica de Playwright corre un event loop: sin esto Django rechaza el ORM.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as p:
        navegador = p.chromium.launch(
            executable_path=str(chromium),
            headless=True,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        try:
            yield navegador.new_page(locale="es-AR", viewport={"width": 1280, "height": 900})
        finally:
            navegador.close()


# --- Fallas: workers con entorno propio y un broker que se puede reiniciar ----------


@pytest.fixture
def broker_propio(tmp_path: Path) -> Iterator[BrokerPropio]:
    servidor = BrokerPropio(tmp_path / "broker")
    yield servidor
    servidor.detener()


@pytest.fixture
def worker_con(broker: str, transactional_db, tmp_path: Path) -> Iterator[Callable[..., Worker]]:
    """Fábrica de `celery worker` reales con entorno a medida (plazos cortos, beat, concurrencia).

    `worker_con({"TARIFARIO_LEASE_SEGUNDOS": "5"}, beat=True)` arranca uno y espera "ready.";
    se puede llamar de nuevo para "reiniciar" después de matar el anterior. Al terminar la
    prueba mata a todos los que quedaron (y a sus lectores) con SIGKILL al grupo.
    """
    arrancados: list[Worker] = []

    def arrancar(
        entorno: dict[str, str] | None = None,
        concurrencia: int = 1,
        beat: bool = False,
        url_broker: str | None = None,
    ) -> Worker:
        trabajador = lanzar_worker(
            {**entorno_de_pruebas(url_broker or broker), **(entorno or {})},
            tmp_path,
            len(arrancados) + 1,
            concurrencia,
            beat,
        )
        arrancados.append(trabajador)
        esperar_que_arranque(trabajador)
        return trabajador

    yield arrancar
    for trabajador in arrancados:
        cerrar_worker(trabajador)
