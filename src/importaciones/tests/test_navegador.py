"""De punta a punta con el Chromium de Debian: login, subida, mapeo, cola y búsqueda."""

import re
import signal
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from conftest import escribir_xlsx, lista_con_banner

ESPERA_WORKER_MS = 60_000

pytestmark = [
    pytest.mark.navegador,
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(240),
]


def test_persona_sube_lista_acepta_sugerencia_y_encuentra_precios(
    pagina: Page, live_server, worker, staff, tmp_path: Path
):
    planilla = escribir_xlsx(
        tmp_path / "lista.xlsx",
        {"Herramientas": lista_con_banner(30), "Electricidad": lista_con_banner(20, inicio=500)},
    )

    # 1. Sin sesión, /importaciones/ manda al login.
    pagina.goto(live_server.url + "/importaciones/")
    expect(pagina).to_have_url(re.compile(r"/cuentas/login/\?next=/importaciones/$"))
    pagina.fill('input[name="username"]', "ana")
    pagina.fill('input[name="password"]', "clave-segura-123")
    pagina.get_by_role("button", name="Ingresar").click()
    expect(pagina).to_have_url(live_server.url + "/importaciones/")

    # 2. Proveedor nuevo en la misma subida.
    pagina.get_by_text("¿Proveedor nuevo?").click()
    pagina.fill('input[name="nuevo_nombre"]', "Ferretera del Sur")
    pagina.fill('input[name="nueva_abreviatura"]', "FDS")
    pagina.set_input_files('input[name="archivo"]', planilla)
    pagina.get_by_role("button", name="Subir y ver la vista previa").click()

    # 3. Mapeo: las dos hojas, marcadas y con las columnas sugeridas.
    expect(pagina).to_have_url(re.compile(r"/importaciones/subidas/\d+/$"))
    expect(pagina.locator("section.hoja")).to_have_count(2)
    for indice, hoja in enumerate(["Herramientas", "Electricidad"]):
        expect(pagina.locator("section.hoja").nth(indice)).to_have_attribute("data-hoja", hoja)
        expect(pagina.locator(f'input[name="hoja{indice}-importar"]')).to_be_checked()
        expect(pagina.locator(f'input[name="hoja{indice}-fila_encabezado"]')).to_have_value("4")
        expect(pagina.locator(f'select[name="hoja{indice}-codigo"]')).to_have_value("A")
        expect(pagina.locator(f'select[name="hoja{indice}-descripcion"]')).to_have_value("B")
        expect(pagina.locator(f'select[name="hoja{indice}-precio"]')).to_have_value("D")
    pagina.screenshot(path=tmp_path / "mapeo.png", full_page=True)

    # 4. Con el worker congelado la cola se ve en curso; al soltarlo se actualiza sola.
    worker.proceso.send_signal(signal.SIGSTOP)
    try:
        pagina.get_by_role("button", name="Confirmar e importar").click()
        expect(pagina).to_have_url(re.compile(r"/importaciones/proveedores/\d+/cola/$"))
        expect(pagina.locator("#cola")).to_contain_text("Procesando en segundo plano")
        expect(pagina.locator("#cola tbody .estado")).to_have_text(["Pendiente", "Pendiente"])
    finally:
        worker.proceso.send_signal(signal.SIGCONT)
    url_cola = pagina.url
    pagina.evaluate("window.sinRecargar = true")  # una recarga borraría la marca
    expect(pagina.locator("#cola")).to_contain_text(
        "No hay archivos pendientes", timeout=ESPERA_WORKER_MS
    )
    expect(pagina.locator("#cola tbody .estado")).to_have_text(["Procesado", "Procesado"])
    assert pagina.url == url_cola
    assert pagina.evaluate("window.sinRecargar") is True

    # 5. Búsqueda de mostrador.
    pagina.goto(live_server.url + "/precios/")
    pagina.fill('input[name="q"]', "Tornillo autorroscante 505")
    pagina.get_by_role("button", name="Buscar").click()
    filas = pagina.locator("table.precios tbody tr")
    expect(filas).to_have_count(1)
    celdas = filas.first.locator("td")
    expect(celdas.nth(0)).to_have_text("00505/FDS")
    expect(celdas.nth(1)).to_have_text("Tornillo autorroscante 505 mm (bulto x10)")
    expect(celdas.nth(4)).to_have_text("$ 5.050,50")  # precio de lista
    expect(celdas.nth(6)).to_have_text("$ 6.111,11")  # de venta: 5.050,50 × 1,21
    pagina.screenshot(path=tmp_path / "buscar.png", full_page=True)
