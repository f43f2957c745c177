"""La búsqueda del mostrador en un teléfono (390 px): los importes se ven sin desplazar."""

from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import Page, expect

from precios.models import PrecioDeLista
from proveedores.models import Proveedor

pytestmark = [
    pytest.mark.navegador,
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(240),
]

TELEFONO = {"width": 390, "height": 844}


def sesion_para(pagina: Page, url_base: str, cookie: str) -> None:
    pagina.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": url_base}]
    )


@pytest.fixture
def sesion(transactional_db, staff) -> str:
    """Precios largos de todo tipo y la cookie de una sesión (antes de abrir el navegador)."""
    proveedor = Proveedor.objects.create(
        nombre="Distribuidora de Bulones y Fijaciones del Litoral", abreviatura="DBF"
    )
    comunes = {"proveedor": proveedor, "marca": "FISCHER", "bulto": 100}
    PrecioDeLista.objects.create(
        codigo="FUS-0006-ABCDEFGHIJ-2026",
        codigo_clave="FUS-0006-ABCDEFGHIJ-2026",
        descripcion="FUSIBLE NH TAMAÑO 00 63A CON INDICADOR DE FUSIÓN Y CUCHILLAS PLATEADAS",
        precio=Decimal("12345678.90"),
        **comunes,
    )
    PrecioDeLista.objects.create(
        codigo="FUS-0007",
        codigo_clave="FUS-0007",
        descripcion="FUSIBLE-CERAMICO-RAPIDO-10X38-GL/GG-500V-PARA-SECCIONADOR-PORTAFUSIBLE",
        precio=Decimal("987654.32"),
        moneda="USD",
        **comunes,
    )
    cliente = Client()
    cliente.force_login(staff)
    return cliente.cookies[settings.SESSION_COOKIE_NAME].value


def test_en_el_telefono_los_precios_de_la_busqueda_entran_en_la_pantalla(
    sesion: str, pagina: Page, live_server, tmp_path: Path
):
    sesion_para(pagina, live_server.url, sesion)
    pagina.set_viewport_size(TELEFONO)
    pagina.goto(live_server.url + "/precios/?q=fus0006")
    filas = pagina.locator("table.precios tbody tr")
    expect(filas).to_have_count(1)  # el código junto encuentra FUS-0006-…
    pagina.goto(live_server.url + "/precios/?q=fusible")
    expect(filas).to_have_count(2)
    pagina.screenshot(path=tmp_path / "buscar-telefono.png", full_page=True)

    celdas = pagina.locator("table.precios td[data-etiqueta]")
    expect(celdas).to_have_count(6)  # lista, venta y efectivo de cada precio
    for indice in range(6):
        caja = celdas.nth(indice).bounding_box()
        assert caja and caja["x"] >= 0 and caja["x"] + caja["width"] <= 390, (indice, caja)
    expect(celdas.first).to_contain_text("$ 12.345.678,90")
    assert pagina.evaluate("document.documentElement.scrollWidth") <= 390
