"""Con el Chromium de Debian: ningún precio cambia sin que una persona lo confirme.

Cada libro trae la lista del proveedor en «Reemplazable» y, como hace el comercio, una copia
«Publico» con los mismos códigos y +50 %. Las pruebas no usan el ORM con el navegador
abierto (ver la fixture `pagina`): lo que cambió se mira en la búsqueda y en el informe.
"""

import re
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from conftest import Filas, escribir_xlsx
from importaciones.tests.test_hojas import ENCABEZADO, PROVEEDOR

ESPERA_WORKER_MS = 60_000

pytestmark = [
    pytest.mark.navegador,
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(240),
]


def libro(ruta: Path, cambios: dict[str, float] | None = None, nuevos: Filas = ()) -> Path:
    """«Reemplazable» (LU01…LU30, con `cambios` de precio y `nuevos` al final) y «Publico»."""
    cambios = cambios or {}
    lista = [[c, d, cambios.get(c, p)] for c, d, p in PROVEEDOR] + list(nuevos)
    publico = [[c, d, p * 1.5] for c, d, p in lista]
    return escribir_xlsx(
        ruta, {"Reemplazable": [ENCABEZADO, *lista], "Publico": [ENCABEZADO, *publico]}
    )


def entrar(pagina: Page, url_base: str) -> None:
    pagina.goto(url_base + "/importaciones/")
    pagina.fill('input[name="username"]', "ana")
    pagina.fill('input[name="password"]', "clave-segura-123")
    pagina.get_by_role("button", name="Ingresar").click()
    expect(pagina).to_have_url(url_base + "/importaciones/")


def subir(pagina: Page, url_base: str, proveedor_id: int, planilla: Path) -> None:
    """Sube la planilla y deja la página de columnas abierta."""
    pagina.goto(url_base + "/importaciones/")
    pagina.select_option('select[name="proveedor"]', str(proveedor_id))
    pagina.set_input_files('input[name="archivo"]', planilla)
    pagina.get_by_role("button", name="Subir y ver la vista previa").click()
    expect(pagina).to_have_url(re.compile(r"/importaciones/subidas/\d+/$"))


def confirmar_y_esperar(pagina: Page) -> None:
    """Confirma las columnas y espera en la cola (que se actualiza sola) a que el worker termine."""
    pagina.get_by_role("button", name="Confirmar e importar").click()
    expect(pagina).to_have_url(re.compile(r"/importaciones/proveedores/\d+/cola/$"))
    expect(pagina.locator("#cola")).to_contain_text(
        "No hay archivos pendientes", timeout=ESPERA_WORKER_MS
    )


def importar(pagina: Page, url_base: str, proveedor_id: int, planilla: Path) -> None:
    """Sube y confirma lo que propone la página de columnas (sólo «Reemplazable»)."""
    subir(pagina, url_base, proveedor_id, planilla)
    expect(pagina.locator('input[name="hoja1-importar"]')).not_to_be_checked()
    confirmar_y_esperar(pagina)
    expect(pagina.locator("#cola tbody tr").first.locator("td").nth(1)).to_have_text("Reemplazable")
    expect(pagina.locator("#cola tbody tr").first.locator(".estado")).to_have_text("Procesado")


def abrir_informe(pagina: Page, nombre: str) -> str:
    pagina.locator("#cola").get_by_role("link", name=nombre).click()
    expect(pagina).to_have_url(re.compile(r"/importaciones/archivos/\d+/$"))
    return pagina.url


def buscar(pagina: Page, url_base: str, codigo: str) -> Locator:
    """Las filas de la búsqueda de mostrador por `codigo`."""
    pagina.goto(f"{url_base}/precios/?q={codigo}")
    return pagina.locator("table.precios tbody tr")


def precio_de_lista(pagina: Page, url_base: str, codigo: str) -> Locator:
    filas = buscar(pagina, url_base, codigo)
    expect(filas).to_have_count(1)
    expect(filas.first.locator("td").nth(0)).to_have_text(f"{codigo}/TOR")
    return filas.first.locator("td").nth(4)


def test_la_copia_publico_viene_sin_marcar_y_solo_se_importa_la_lista_del_proveedor(
    proveedor, pagina: Page, live_server, tmp_path: Path
):
    entrar(pagina, live_server.url)
    subir(pagina, live_server.url, proveedor.pk, libro(tmp_path / "julio.xlsx"))

    hojas = pagina.locator("section.hoja")
    expect(hojas).to_have_count(2)
    expect(hojas.nth(0)).to_have_attribute("data-hoja", "Reemplazable")
    expect(pagina.get_by_label("Importar la hoja «Reemplazable»")).to_be_checked()
    expect(hojas.nth(0).locator(".advertencia.copia")).to_have_count(0)
    expect(hojas.nth(1)).to_have_attribute("data-hoja", "Publico")
    expect(pagina.get_by_label("Importar la hoja «Publico»")).not_to_be_checked()
    expect(hojas.nth(1).locator(".advertencia.copia")).to_have_text(
        "Sin marcar: parece una copia de «Reemplazable» con otros precios."
    )

    confirmar_y_esperar(pagina)
    expect(pagina.locator(".aviso.success")).to_contain_text("Se encolaron 1 hoja(s)")
    expect(pagina.locator("#cola tbody tr")).to_have_count(1)
    expect(pagina.locator("#cola tbody tr td").nth(1)).to_have_text("Reemplazable")
    expect(pagina.locator("#cola tbody .estado")).to_have_text(["Procesado"])

    expect(precio_de_lista(pagina, live_server.url, "LU01")).to_have_text("$ 1.045,00")
    expect(precio_de_lista(pagina, live_server.url, "LU30")).to_have_text("$ 2.350,00")


def test_dos_hojas_marcadas_con_otro_precio_no_encolan_nada_hasta_confirmar(
    proveedor, pagina: Page, live_server, tmp_path: Path
):
    entrar(pagina, live_server.url)
    subir(pagina, live_server.url, proveedor.pk, libro(tmp_path / "julio.xlsx"))
    pagina.get_by_label("Importar la hoja «Publico»").check()
    pagina.get_by_role("button", name="Confirmar e importar").click()

    expect(pagina).to_have_url(re.compile(r"/importaciones/subidas/\d+/$"))
    conflicto = pagina.locator("section.conflictos")
    expect(conflicto.get_by_role("heading")).to_have_text(
        "No se importó nada: dos hojas elegidas dan otro precio al mismo código"
    )
    expect(conflicto).to_contain_text("«Reemplazable» y «Publico» tienen 30 códigos en común")
    expect(conflicto.locator("tbody tr").first.locator("td")).to_have_text(
        ["LU01", "1.045,00", "1.567,50"]
    )
    # La elección de la persona sigue en la página: las dos hojas marcadas.
    expect(pagina.get_by_label("Importar la hoja «Reemplazable»")).to_be_checked()
    expect(pagina.get_by_label("Importar la hoja «Publico»")).to_be_checked()

    # Nada quedó en la cola ni cambió un precio (otra pestaña perdería el formulario: se
    # pregunta con la sesión del navegador).
    cola = pagina.request.get(f"{live_server.url}/importaciones/proveedores/{proveedor.pk}/cola/")
    assert "Este proveedor no tiene archivos." in cola.text()
    busqueda = pagina.request.get(live_server.url + "/precios/?q=LU01")
    assert "No hay precios que coincidan con «LU01»." in busqueda.text()

    pagina.get_by_label("Importar igual todas las hojas marcadas").check()
    confirmar_y_esperar(pagina)
    expect(pagina.locator(".aviso.success")).to_contain_text("Se encolaron 2 hoja(s)")
    expect(pagina.locator("#cola tbody tr")).to_have_count(2)
    expect(pagina.locator("#cola tbody .estado")).to_have_text(["Procesado", "Procesado"])
    hojas = pagina.locator("#cola tbody tr td:nth-child(2)").all_inner_texts()
    assert sorted(hojas) == ["Publico", "Reemplazable"]
    # Se aplican en el orden del libro: el +50 % de «Publico» sobre la lista queda retenido.
    expect(precio_de_lista(pagina, live_server.url, "LU01")).to_have_text("$ 1.045,00")


def test_los_cambios_retenidos_solo_se_aplican_cuando_una_persona_los_elige(
    proveedor, pagina: Page, live_server, tmp_path: Path
):
    url = live_server.url
    entrar(pagina, url)
    importar(pagina, url, proveedor.pk, libro(tmp_path / "julio.xlsx"))
    # LU01 +50 % y LU02 ×10 superan el umbral (±30 %); LU03 +5 % no.
    agosto = libro(tmp_path / "agosto.xlsx", {"LU01": 1567.5, "LU02": 10900, "LU03": 1191.75})
    importar(pagina, url, proveedor.pk, agosto)

    informe = abrir_informe(pagina, "agosto.xlsx")
    retenidos = pagina.locator("section.retenidos")
    expect(retenidos.get_by_role("heading")).to_have_text("Cambios retenidos: no se aplicaron (2)")
    expect(retenidos.locator("tbody tr", has_text="LU02").locator("td.num")).to_have_text(
        ["$ 1.090,00", "$ 10.900,00", "900,0 %"]
    )
    expect(retenidos.locator("tbody tr", has_text="LU02")).to_contain_text("×10")
    expect(retenidos.locator("tbody tr", has_text="LU01").locator("td.num")).to_have_text(
        ["$ 1.045,00", "$ 1.567,50", "50,0 %"]
    )
    expect(precio_de_lista(pagina, url, "LU03")).to_have_text("$ 1.191,75")
    expect(precio_de_lista(pagina, url, "LU01")).to_have_text("$ 1.045,00")
    expect(precio_de_lista(pagina, url, "LU02")).to_have_text("$ 1.090,00")

    pagina.goto(informe)
    pagina.locator("section.retenidos tbody tr", has_text="LU01").get_by_label("Elegir").check()
    pagina.get_by_role("button", name="Aplicar los elegidos").click()
    expect(pagina).to_have_url(informe)
    expect(pagina.locator(".aviso.success")).to_have_text("Se aplicaron 1 cambio(s) de precio.")
    expect(retenidos.get_by_role("heading")).to_have_text("Cambios retenidos: no se aplicaron (1)")
    expect(retenidos.locator("tbody tr")).to_have_count(1)
    expect(retenidos.locator("tbody tr")).to_contain_text("LU02")
    expect(precio_de_lista(pagina, url, "LU01")).to_have_text("$ 1.567,50")
    expect(precio_de_lista(pagina, url, "LU02")).to_have_text("$ 1.090,00")

    pagina.goto(informe)
    pagina.get_by_role("button", name="Descartar todos").click()
    expect(pagina).to_have_url(informe)
    expect(pagina.locator(".aviso.success")).to_have_text(
        "Se descartaron 1 cambio(s): quedó el precio anterior."
    )
    expect(retenidos).to_have_count(0)
    expect(precio_de_lista(pagina, url, "LU02")).to_have_text("$ 1.090,00")
    expect(precio_de_lista(pagina, url, "LU01")).to_have_text("$ 1.567,50")


def test_deshacer_la_importacion_vuelve_los_precios_y_borra_los_articulos_nuevos(
    proveedor, pagina: Page, live_server, tmp_path: Path
):
    url = live_server.url
    entrar(pagina, url)
    importar(pagina, url, proveedor.pk, libro(tmp_path / "julio.xlsx"))
    agosto = libro(
        tmp_path / "agosto.xlsx",
        {"LU01": 1097.25, "LU02": 1199},
        nuevos=[["LU31", "Abrelatas modelo 31", 2395]],
    )
    importar(pagina, url, proveedor.pk, agosto)
    expect(precio_de_lista(pagina, url, "LU01")).to_have_text("$ 1.097,25")
    expect(precio_de_lista(pagina, url, "LU31")).to_have_text("$ 2.395,00")

    pagina.goto(f"{url}/importaciones/proveedores/{proveedor.pk}/cola/")
    informe = abrir_informe(pagina, "agosto.xlsx")
    expect(pagina.locator(".resumen")).to_contain_text("1 nuevos")
    expect(pagina.locator(".resumen")).to_contain_text("2 actualizados")
    preguntas: list[str] = []
    pagina.once("dialog", lambda dialogo: (preguntas.append(dialogo.message), dialogo.accept()))
    pagina.get_by_role("button", name="Deshacer la importación").click()

    expect(pagina).to_have_url(informe)
    expect(pagina.locator(".aviso.success")).to_have_text(
        "Importación deshecha: 2 precio(s) volvieron a su valor anterior y se borraron "
        "1 artículo(s) nuevos."
    )
    assert preguntas == ["¿Deshacer la importación de «agosto.xlsx»?"]
    expect(pagina.locator("main")).to_contain_text("Esta importación se deshizo el ")
    expect(pagina.get_by_role("button", name="Deshacer la importación")).to_have_count(0)

    expect(precio_de_lista(pagina, url, "LU01")).to_have_text("$ 1.045,00")
    expect(precio_de_lista(pagina, url, "LU02")).to_have_text("$ 1.090,00")
    expect(precio_de_lista(pagina, url, "LU03")).to_have_text("$ 1.135,00")
    expect(buscar(pagina, url, "LU31")).to_have_text("No hay precios que coincidan con «LU31».")
