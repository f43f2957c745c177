"""El informe de un archivo en Chromium: el histograma dibuja sus barras y entra en un teléfono."""

from pathlib import Path

import pytest
from django.test import Client
from playwright.sync_api import Page, expect

from importaciones.models import FilaObservada
from importaciones.tests.test_informe import archivo_importado, cambio
from precios.tests.test_navegador_telefono import TELEFONO, sesion_para

pytestmark = [
    pytest.mark.navegador,
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(240),
]

# Cuántos cambios caen en cada tramo del histograma (informe.TRAMOS).
POR_TRAMO = [0, 1, 0, 2, 6, 3, 0, 1, 0]


@pytest.fixture
def informe(transactional_db, proveedor, staff) -> tuple[str, int]:
    """Un archivo aplicado con cambios en varios tramos, retenidos y repetidas largas."""
    archivo = archivo_importado(
        proveedor,
        actualizados=sum(POR_TRAMO),
        sospechosos=1,
        codigos_repetidos=1,
        faltantes=1,
        faltantes_muestra=["TORNILLO-AUTOPERFORANTE-8X1-PUNTA-MECHA-ZINCADO-X100"],
    )
    archivo.nombre_archivo_origen = "LISTA_DE_PRECIOS_FERRETERIA_DEL_SUR_NOVIEMBRE_2026.xlsx"
    archivo.save()
    nuevos = {1: "70", 3: "98", 4: "102.5", 5: "107", 7: "130"}  # desde 100
    for tramo, cantidad in enumerate(POR_TRAMO):
        for i in range(cantidad):
            cambio(archivo, f"T{tramo}-{i}", "100", nuevos[tramo])
    cambio(archivo, "FUS-0006-ABCDEFGHIJ-2026", "12345678.90", "123456789.00", retenido=True)
    FilaObservada.objects.create(
        archivo=archivo,
        tipo=FilaObservada.Tipo.REPETIDA,
        fila=12345,
        codigo="FUS-0006-ABCDEFGHIJ-2026",
        descripcion="FUSIBLE-CERAMICO-RAPIDO-10X38-GL/GG-500V-PARA-SECCIONADOR-PORTAFUSIBLE",
        precio="98765432.10",
        detalle="el mismo código que la fila 12 pero otro artículo: FUSIBLE NH 63A",
    )
    cliente = Client()
    cliente.force_login(staff)
    return cliente.cookies["sessionid"].value, archivo.pk


def barras_y_etiquetas(pagina: Page) -> dict:
    """Alto de cada barra y si cada número queda adentro del SVG, en píxeles de pantalla."""
    return pagina.evaluate(
        """() => {
          const svg = document.querySelector("svg.histograma").getBoundingClientRect();
          const adentro = (r) => r.top >= svg.top && r.bottom <= svg.bottom
            && r.left >= svg.left && r.right <= svg.right;
          return {
            altos: [...document.querySelectorAll("svg.histograma rect.barra")]
              .map((rect) => rect.getBoundingClientRect().height),
            numeros: [...document.querySelectorAll("svg.histograma text.cantidad")]
              .map((texto) => [texto.textContent, adentro(texto.getBoundingClientRect())]),
          };
        }"""
    )


def test_el_histograma_dibuja_las_barras_con_sus_numeros_adentro(
    informe: tuple[str, int], pagina: Page, live_server, tmp_path: Path
):
    cookie, archivo_id = informe
    sesion_para(pagina, live_server.url, cookie)
    pagina.goto(f"{live_server.url}/importaciones/archivos/{archivo_id}/")
    expect(pagina.locator("svg.histograma rect.barra")).to_have_count(9)
    pagina.locator("svg.histograma").screenshot(path=tmp_path / "histograma.png")

    dibujo = barras_y_etiquetas(pagina)
    # Con coordenadas "97,3" (coma decimal de es-AR) el navegador no dibuja ninguna barra.
    assert [alto > 0 for alto in dibujo["altos"]] == [n > 0 for n in POR_TRAMO], dibujo
    # La barra más alta llega arriba de todo: su número también tiene que verse.
    assert dibujo["numeros"] == [[str(n), True] for n in POR_TRAMO], dibujo


def test_en_el_telefono_el_informe_no_se_desplaza_de_costado(
    informe: tuple[str, int], pagina: Page, live_server, tmp_path: Path
):
    cookie, archivo_id = informe
    sesion_para(pagina, live_server.url, cookie)
    pagina.set_viewport_size(TELEFONO)
    for url in (
        f"/importaciones/archivos/{archivo_id}/",
        f"/importaciones/archivos/{archivo_id}/lista/cambios/",
        f"/importaciones/archivos/{archivo_id}/lista/retenidos/",
    ):
        pagina.goto(live_server.url + url)
        expect(pagina.locator("table").first).to_be_visible()
        pagina.screenshot(path=tmp_path / f"{url.strip('/').replace('/', '-')}.png", full_page=True)
        # Las tablas anchas se desplazan adentro de su recuadro; la página no.
        assert pagina.evaluate("document.documentElement.scrollWidth") <= 390, url
    # El histograma se desplaza en su recuadro: ancho para leerlo, con cada número adentro.
    pagina.goto(f"{live_server.url}/importaciones/archivos/{archivo_id}/")
    histograma = pagina.locator("section.tarjeta", has=pagina.locator("svg.histograma"))
    histograma.screenshot(path=tmp_path / "histograma-telefono.png")
    assert pagina.locator("svg.histograma").bounding_box()["width"] >= 500
    dibujo = barras_y_etiquetas(pagina)
    assert all(adentro for _numero, adentro in dibujo["numeros"]), dibujo
