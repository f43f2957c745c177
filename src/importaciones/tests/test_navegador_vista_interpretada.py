"""Con el Chromium de Debian: la tabla «Así se va a importar» sigue a las columnas elegidas."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from conftest import escribir_xlsx
from importaciones.tests.test_vista_interpretada import lista_para_revisar

pytestmark = [
    pytest.mark.navegador,
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(240),
]


def test_elegir_otra_columna_de_precio_actualiza_la_tabla_sin_recargar(
    pagina: Page, live_server, worker, staff, tmp_path: Path
):
    planilla = escribir_xlsx(tmp_path / "lista.xlsx", {"Lista": lista_para_revisar()})
    pagina.goto(live_server.url + "/importaciones/")
    pagina.fill('input[name="username"]', "ana")
    pagina.fill('input[name="password"]', "clave-segura-123")
    pagina.get_by_role("button", name="Ingresar").click()
    pagina.get_by_text("¿Proveedor nuevo?").click()
    pagina.fill('input[name="nuevo_nombre"]', "Ferretera del Sur")
    pagina.fill('input[name="nueva_abreviatura"]', "FDS")
    pagina.set_input_files('input[name="archivo"]', planilla)
    pagina.get_by_role("button", name="Subir y ver la vista previa").click()
    expect(pagina).to_have_url(re.compile(r"/importaciones/subidas/\d+/$"))

    tabla = pagina.locator("section.hoja .interpretadas-hoja")
    fila_5 = tabla.locator("tbody tr").first
    expect(fila_5.locator("td").nth(3)).to_have_text("$ 1.045,00")
    expect(tabla).to_contain_text("U$S 12,50")
    expect(tabla).to_contain_text("No se importa: sin precio")
    pagina.evaluate("window.sinRecargar = true")  # una recarga borraría la marca

    pagina.select_option('select[name="hoja0-precio"]', "F")
    expect(fila_5.locator("td").nth(3)).to_have_text("$ 1.500,00")
    expect(tabla).not_to_contain_text("U$S 12,50")
    expect(tabla).not_to_contain_text("sin precio")
    pagina.screenshot(path=tmp_path / "mapeo-precio-publico.png", full_page=True)

    # Una fila de encabezado imposible: el motivo en lugar de la tabla, sin romper la página.
    pagina.fill('input[name="hoja0-fila_encabezado"]', "0")
    pagina.locator('input[name="hoja0-fila_encabezado"]').dispatch_event("change")
    expect(tabla).to_contain_text("Fila de encabezado:")
    expect(tabla.locator("table")).to_have_count(0)
    assert pagina.evaluate("window.sinRecargar") is True
    pagina.screenshot(path=tmp_path / "mapeo-encabezado-invalido.png", full_page=True)
