"""Issue 3 en Chromium: /tareas/ sigue una importación hasta el final sin recargar y se filtra."""

import os
import re
import signal
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.core.files import File
from django.db import connections
from django.utils import timezone
from playwright.sync_api import Page, expect

from conftest import lista_con_banner
from importaciones import services
from importaciones.tests.procesos import Worker, esperar
from proveedores.models import Proveedor

FILAS = 20_000
EN_PANTALLA = "20.000"  # con separador de miles es-AR
ESPERA_WORKER_MS = 90_000

pytestmark = [
    pytest.mark.navegador,
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(240),
]


def en_otro_hilo(funcion: Callable, *args):
    """El ORM con el navegador abierto: en un hilo sin event loop que cierra su conexión.

    Así no queda una conexión abierta que impida borrar la base (ver la fixture `pagina`).
    """

    def correr():
        try:
            return funcion(*args)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(1) as hilo:
        return hilo.submit(correr).result()


def importar(proveedor: Proveedor, ruta: Path) -> None:
    """Como la web: subida, mapeo sugerido y confirmación que encola un aviso por hoja."""
    with ruta.open("rb") as contenido:
        subida, hojas = services.subir_planilla(proveedor, File(contenido, ruta.name), ruta.name)
    services.confirmar_importacion(subida, {h.hoja.nombre: h.mapeo for h in hojas}, encolar=True)


@contextmanager
def congelado(worker: Worker) -> Iterator[None]:
    """SIGSTOP al grupo entero: el proceso principal y el hijo del pool que corre la tarea."""
    os.killpg(worker.proceso.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.killpg(worker.proceso.pid, signal.SIGCONT)


def test_el_staff_ve_avanzar_la_importacion_sin_recargar_y_filtra_por_proveedor_y_fecha(
    pagina: Page, live_server, worker: Worker, planillas, tmp_path: Path
):
    tor, fds = en_otro_hilo(
        lambda: [
            Proveedor.objects.create(nombre="El Tornillo", abreviatura="TOR"),
            Proveedor.objects.create(nombre="Ferretera del Sur", abreviatura="FDS"),
        ]
    )
    rutas = {
        tor: planillas["xlsx"]({"Herramientas": lista_con_banner(FILAS)}, "tornillo.xlsx"),
        fds: planillas["csv"]({"Lista": lista_con_banner(FILAS, inicio=50_000)}, "sur.csv"),
    }

    # 1. Login y monitor vacío; la marca en window se perdería con una recarga.
    pagina.goto(live_server.url + "/tareas/")
    pagina.fill('input[name="username"]', "ana")
    pagina.fill('input[name="password"]', "clave-segura-123")
    pagina.get_by_role("button", name="Ingresar").click()
    expect(pagina).to_have_url(live_server.url + "/tareas/")
    tareas = pagina.locator("#tareas")
    filas = tareas.locator("tbody tr[data-estado]")
    finalizadas = tareas.locator('[data-vista="finalizadas"] .contador')
    expect(tareas).to_contain_text("No hay tareas con estos filtros.")
    expect(finalizadas).to_have_text("0")
    pagina.evaluate("window.sinRecargar = true")
    url_monitor = pagina.url

    # 2. Con el worker congelado, las dos importaciones aparecen solas como encoladas.
    with congelado(worker):
        for proveedor, ruta in rutas.items():
            en_otro_hilo(importar, proveedor, ruta)
        expect(filas.locator(".estado")).to_have_text(["Encolada", "Encolada"])

    # 3. En cuanto una se procesa se congela otra vez: la lista la muestra activa, con avance.
    parcial = live_server.url + "/tareas/?parcial=1"
    esperar(lambda: "<progress" in pagina.request.get(parcial).text(), mensaje=worker.salida())
    with congelado(worker):
        activa = tareas.locator('tr[data-estado="activa"]')
        expect(activa).to_have_count(1)
        expect(activa).to_contain_text("tornillo.xlsx")  # la cola es FIFO y hay un solo worker
        expect(activa.locator("progress")).to_be_visible()
        expect(activa).to_contain_text(re.compile(r"\d+( / [\d.]+)? filas"))
        pagina.screenshot(path=tmp_path / "tareas-durante.png", full_page=True)

    # 4. Sin recargar: las dos terminan, sube el contador y el broker muestra al worker.
    expect(filas.locator(".estado")).to_have_text(["Exitosa", "Exitosa"], timeout=ESPERA_WORKER_MS)
    expect(finalizadas).to_have_text("2")
    expect(tareas).to_contain_text(f"{EN_PANTALLA} válidas · {EN_PANTALLA} nuevos · 0 actualizados")
    broker = pagina.locator("#estado-broker")
    expect(broker).to_contain_text("Broker disponible", timeout=15_000)
    expect(broker.locator(".worker")).to_contain_text("pruebas-", timeout=15_000)
    assert pagina.url == url_monitor
    assert pagina.evaluate("window.sinRecargar") is True
    pagina.screenshot(path=tmp_path / "tareas-despues.png", full_page=True)

    # 5. Filtro por proveedor y por el día de hoy.
    hoy = timezone.localdate().isoformat()
    pagina.select_option('select[name="proveedor"]', label="El Tornillo (TOR)")
    pagina.fill('input[name="desde"]', hoy)
    pagina.fill('input[name="hasta"]', hoy)
    pagina.get_by_role("button", name="Filtrar").click()
    expect(pagina).to_have_url(re.compile(rf"desde={hoy}&hasta={hoy}&.*proveedor={tor.pk}"))
    expect(filas).to_have_count(1)
    expect(filas).to_contain_text("TOR · tornillo.xlsx [Herramientas]")
    expect(tareas).not_to_contain_text("sur.csv")
    expect(finalizadas).to_have_text("1")

    # 6. Detalle de la tarea: archivo, hoja, proveedor y cantidades.
    filas.get_by_role("link", name="importaciones.procesar_pendientes").click()
    expect(pagina).to_have_url(re.compile(r"/tareas/\d+/$"))
    expect(pagina.locator("h1")).to_contain_text("Exitosa")
    archivo = pagina.locator(
        "section.tarjeta", has=pagina.get_by_role("heading", name="Archivo", exact=True)
    )
    expect(archivo).to_contain_text("El Tornillo (TOR) · tornillo.xlsx · hoja «Herramientas»")
    expect(archivo).to_contain_text(
        f"Leídas {EN_PANTALLA} · válidas {EN_PANTALLA} · descartadas 0 · nuevos {EN_PANTALLA}"
    )
    pagina.screenshot(path=tmp_path / "detalle.png", full_page=True)
