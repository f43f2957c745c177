"""Fixtures compartidas: planillas fabricadas por las pruebas, broker y worker reales."""

import contextlib
import csv
import io
import os
import signal
import subprocess
import sys
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlparse
from xml.sax.saxutils import escape

import pytest
import xlsxwriter
import xlwt
from django.conf import settings
from django.db import connection
from playwright.sync_api import Page, sync_playwright

from core_config import broker_embebido
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


class Worker:
    def __init__(self, proceso: subprocess.Popen, log: Path) -> None:
        self.proceso = proceso
        self.log = log

    def salida(self) -> str:
        return self.log.read_text(errors="replace")


@pytest.fixture
def worker(worker_con) -> Worker:
    """Un `celery worker` real (concurrencia 1), contra la base y el broker de la prueba."""
    return worker_con()


def esperar(condicion: Callable[[], bool], segundos: float = 60, mensaje: str = "") -> None:
    limite = time.monotonic() + segundos
    while not condicion():
        if time.monotonic() > limite:
            pytest.fail(mensaje or "Se agotó la espera.")
        time.sleep(0.2)


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


@pytest.fixture
def broker_propio(tmp_path: Path) -> Iterator[BrokerPropio]:
    servidor = BrokerPropio(tmp_path / "broker")
    yield servidor
    servidor.detener()


def matar_grupo(trabajador: Worker) -> None:
    """SIGKILL al worker entero: proceso principal, pool, beat y lectores (como un corte de luz)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(trabajador.proceso.pid, signal.SIGKILL)
    trabajador.proceso.wait(timeout=10)


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
        numero = len(arrancados) + 1
        log = tmp_path / f"worker-{numero}.log"
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
            comando += ["--beat", "--schedule", str(tmp_path / f"beat-{numero}")]
        with log.open("wb") as salida:
            proceso = subprocess.Popen(
                comando,
                cwd=settings.BASE_DIR,
                env={**entorno_de_pruebas(url_broker or broker), **(entorno or {})},
                stdout=salida,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        trabajador = Worker(proceso, log)
        arrancados.append(trabajador)
        limite = time.monotonic() + 60
        while "ready." not in trabajador.salida():
            if proceso.poll() is not None or time.monotonic() > limite:
                matar_grupo(trabajador)
                pytest.fail(f"El worker no arrancó:\n{trabajador.salida()}")
            time.sleep(0.1)
        return trabajador

    yield arrancar
    for trabajador in arrancados:
        if trabajador.proceso.poll() is None:
            trabajador.proceso.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                trabajador.proceso.wait(timeout=10)
        # También los lectores y el beat que hayan quedado huérfanos en el grupo.
        matar_grupo(trabajador)
