"""La moneda de cada precio en el mostrador, la ficha y el admin (sin convertir a pesos)."""

from datetime import UTC, datetime
from decimal import Decimal
from html.parser import HTMLParser

import pytest

from precios.models import HistorialPrecio, PrecioDeLista
from proveedores.models import Proveedor

pytestmark = pytest.mark.django_db


class CeldasDeLaTabla(HTMLParser):
    """El texto de cada celda de `table.precios`, como lo lee quien mira la página."""

    def __init__(self) -> None:
        super().__init__()
        self.filas: list[list[str]] = []
        self.enlaces: list[str] = []
        self._en_tabla = False
        self._celda: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        atributos = dict(attrs)
        if tag == "table" and "precios" in (atributos.get("class") or ""):
            self._en_tabla = True
        elif self._en_tabla and tag == "tr":
            self.filas.append([])
        elif self._en_tabla and tag == "td":
            self._celda = []
        elif self._celda is not None and tag == "a":
            self.enlaces.append(atributos["href"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._en_tabla = False
        elif tag == "td" and self._celda is not None:
            self.filas[-1].append(" ".join("".join(self._celda).split()))
            self._celda = None

    def handle_data(self, data: str) -> None:
        if self._celda is not None:
            self._celda.append(data)


def tabla(contenido: str) -> CeldasDeLaTabla:
    lector = CeldasDeLaTabla()
    lector.feed(contenido)
    return lector


@pytest.fixture
def precios(db) -> dict[str, PrecioDeLista]:
    proveedor = Proveedor.objects.create(nombre="El Tornillo", abreviatura="TOR")

    def crear(codigo: str, clave: str, descripcion: str, precio: str, moneda: str):
        return PrecioDeLista.objects.create(
            proveedor=proveedor,
            codigo=codigo,
            codigo_clave=clave,
            descripcion=descripcion,
            precio=Decimal(precio),
            moneda=moneda,
        )

    return {
        "USD": crear("D1", "D1", "Amoladora importada", "12.5", "USD"),
        "ARS": crear("P1", "P1", "Amoladora nacional", "1045", "ARS"),
        "EUR": crear("E1", "E1", "Amoladora alemana", "3", "EUR"),
        "sin_codigo": crear("", "desc:9b1f", "Amoladora sin marca", "20", "ARS"),
    }


def filas_por_descripcion(cliente, consulta: str) -> dict[str, list[str]]:
    respuesta = cliente.get("/precios/", {"q": consulta})
    assert respuesta.status_code == 200
    return {fila[1]: fila for fila in tabla(respuesta.content.decode()).filas if len(fila) > 1}


def test_el_mostrador_muestra_cada_precio_con_el_simbolo_de_su_moneda(cliente_staff, precios):
    filas = filas_por_descripcion(cliente_staff, "amoladora")
    # Lista, venta y efectivo (× 1,21 de IVA) en la moneda de la lista, sin convertir.
    dolares = filas["Amoladora importada"]
    assert dolares[4] == "U$S 12,50 en dólares: sin convertir a pesos"
    assert dolares[6:8] == ["U$S 15,13", "U$S 15,13"]
    pesos = filas["Amoladora nacional"]
    assert pesos[4] == "$ 1.045,00"
    assert pesos[6:8] == ["$ 1.264,45", "$ 1.264,45"]
    euros = filas["Amoladora alemana"]
    assert euros[4] == "€ 3,00 en euros: sin convertir a pesos"
    assert euros[6:8] == ["€ 3,63", "€ 3,63"]


def test_un_precio_en_dolares_avisa_tambien_al_pasar_el_mouse(cliente_staff, precios):
    contenido = cliente_staff.get("/precios/", {"q": "amoladora importada"}).content.decode()
    # Lista, venta y efectivo: los tres están en dólares.
    assert contenido.count('title="en dólares: sin convertir a pesos"') == 3
    contenido = cliente_staff.get("/precios/", {"q": "amoladora nacional"}).content.decode()
    assert "sin convertir a pesos" not in contenido


def test_un_articulo_sin_codigo_dice_sin_codigo_y_enlaza_a_su_ficha(cliente_staff, precios):
    respuesta = cliente_staff.get("/precios/", {"q": "amoladora sin marca"})
    lector = tabla(respuesta.content.decode())
    assert lector.filas[1][0] == "sin código/TOR"
    assert lector.enlaces == [f"/precios/{precios['sin_codigo'].pk}/"]
    ficha = cliente_staff.get(lector.enlaces[0]).content.decode()
    assert "sin código/TOR" in ficha
    assert "$ 20,00" in ficha


def test_la_ficha_muestra_la_moneda_en_los_precios_y_el_historial(cliente_staff, precios):
    dolares = precios["USD"]
    HistorialPrecio.objects.create(
        precio_lista=dolares,
        fecha=datetime(2025, 3, 1, tzinfo=UTC),
        precio_anterior=Decimal("11"),
        precio_nuevo=Decimal("12.5"),
    )
    ficha = cliente_staff.get(f"/precios/{dolares.pk}/").content.decode()
    assert "<strong>U$S 12,50</strong> precio de lista" in ficha
    assert "<strong>U$S 15,13</strong> precio de venta" in ficha
    assert "en dólares: sin convertir a pesos" in ficha
    assert "U$S 11,00" in ficha and "U$S 12,50" in ficha
    # Ningún importe de la ficha quedó con el signo de pesos.
    assert "$ " not in ficha

    pesos = cliente_staff.get(f"/precios/{precios['ARS'].pk}/").content.decode()
    assert "<strong>$ 1.045,00</strong> precio de lista" in pesos
    assert "U$S" not in pesos and "sin convertir" not in pesos


def test_el_admin_muestra_y_filtra_por_moneda(admin_client, precios):
    respuesta = admin_client.get("/admin/precios/preciodelista/", {"moneda__exact": "USD"})
    assert [p.codigo for p in respuesta.context["cl"].result_list] == ["D1"]
    contenido = respuesta.content.decode()
    assert '<td class="field-moneda">U$S</td>' in contenido
    assert "?moneda__exact=EUR" in contenido  # la opción del filtro

    # Sin código, el enlace a la ficha del admin igual tiene texto en el que hacer clic.
    todos = admin_client.get("/admin/precios/preciodelista/").content.decode()
    pk = precios["sin_codigo"].pk
    assert f'<a href="/admin/precios/preciodelista/{pk}/change/">sin código</a>' in todos
