from decimal import Decimal

import pytest

from precios.models import PrecioDeLista, calcular_precios_de_venta
from proveedores.models import Proveedor


def test_precio_de_venta_como_el_sistema_original():
    proveedor = Proveedor(
        abreviatura="VAL",
        descuento_comercial=Decimal("0.10"),
        margen_ganancia=Decimal("1.5"),
        margen_ganancia_efectivo=Decimal("0.90"),
    )
    precio = PrecioDeLista(
        proveedor=proveedor, precio=Decimal("1000"), iva=Decimal("0.21"), bulto=10
    )
    # 1000 × 1,21 × 0,90 × 1,5 = 1633,50; efectivo × 0,90 = 1470,15
    assert calcular_precios_de_venta(precio, proveedor) == {
        "final": Decimal("1633.50"),
        "efectivo": Decimal("1470.15"),
    }
    # Vendido por unidad: primero se divide por el bulto.
    assert calcular_precios_de_venta(precio, proveedor, dividir=True)["final"] == Decimal("163.35")


@pytest.mark.django_db
def test_busca_por_codigo_descripcion_marca_y_codigo_de_barras(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("mostrador", password="x-123-y"))
    proveedor = Proveedor.objects.create(
        nombre="Valot", abreviatura="VAL", margen_ganancia=Decimal("2")
    )
    PrecioDeLista.objects.create(
        proveedor=proveedor,
        codigo="0037",
        codigo_clave="37",
        descripcion="Mecha widia 6 mm",
        precio=Decimal("1234.5"),
        marca="Bosch",
        codigo_barras="7791234567897",
    )
    PrecioDeLista.objects.create(
        proveedor=proveedor,
        codigo="99",
        codigo_clave="99",
        descripcion="Tarugo 8",
        precio=Decimal("10"),
    )
    for consulta in ("mecha 6", "0037", "bosch", "7791234567897"):
        respuesta = client.get("/precios/", {"q": consulta})
        filas = list(respuesta.context["pagina"])
        assert [p.codigo for p in filas] == ["0037"], consulta
    contenido = client.get("/precios/", {"q": "mecha"}).content.decode()
    assert "0037/VAL" in contenido
    assert "$ 1.234,50" in contenido  # precio de lista
    assert "$ 2.987,49" in contenido  # 1234,5 × 1,21 × 2
