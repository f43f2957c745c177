"""Nada cambia sin que una persona lo vea: cambios retenidos (aplicar / descartar) y deshacer."""

from decimal import Decimal

import pytest
from django.urls import reverse

from importaciones import revision
from importaciones.models import CambioRetenido
from importaciones.tests.test_procesamiento import importar, precios_de
from precios.models import Articulo, ArticuloProveedor, HistorialPrecio, PrecioDeLista

pytestmark = pytest.mark.django_db

ENCABEZADO = ["Código", "Descripción", "Precio", "EAN"]
JULIO = {"A1": "1000", "A2": "1000", "A3": "1000", "A4": "1000", "A5": "1000", "A6": "1000"}


def lista(precios: dict[str, str]) -> list[list]:
    return [ENCABEZADO] + [
        [codigo, f"Artículo {codigo}", precio, f"77900000000{i:02d}"]
        for i, (codigo, precio) in enumerate(precios.items())
    ]


def importar_lista(planillas, proveedor, precios: dict[str, str], nombre: str):
    (archivo,) = importar(proveedor, planillas["xlsx"]({"Lista": lista(precios)}, nombre=nombre))
    return archivo


def test_los_cambios_de_mas_del_umbral_quedan_retenidos_y_el_resto_se_aplica(planillas, proveedor):
    importar_lista(planillas, proveedor, JULIO, "julio.xlsx")
    agosto = {**JULIO, "A1": "1100", "A2": "10000", "A3": "100", "A4": "1400", "A5": "650"}
    archivo = importar_lista(planillas, proveedor, agosto, "agosto.xlsx")
    # +10 % se aplica; ×10, ÷10, +40 % y −35 % quedan con el precio anterior.
    assert precios_de(proveedor) == {c: Decimal(p) for c, p in {**JULIO, "A1": "1100"}.items()}
    assert (archivo.actualizados, archivo.sospechosos, archivo.sin_cambios) == (1, 4, 1)
    assert HistorialPrecio.objects.count() == 1
    retenidos = {
        r.precio_lista.codigo: (r.precio_anterior, r.precio_nuevo)
        for r in archivo.retenidos.select_related("precio_lista")
    }
    assert retenidos == {
        "A2": (Decimal("1000"), Decimal("10000")),
        "A3": (Decimal("1000"), Decimal("100")),
        "A4": (Decimal("1000"), Decimal("1400")),
        "A5": (Decimal("1000"), Decimal("650")),
    }


def test_el_umbral_es_de_cada_proveedor(planillas, proveedor):
    proveedor.umbral_sospechoso = Decimal("0.50")
    proveedor.save()
    importar_lista(planillas, proveedor, JULIO, "julio.xlsx")
    archivo = importar_lista(planillas, proveedor, {**JULIO, "A1": "1400"}, "agosto.xlsx")
    assert archivo.sospechosos == 0 and precios_de(proveedor)["A1"] == Decimal("1400")


def test_aplicar_y_descartar_retenidos_de_a_uno_y_todos_desde_el_informe(
    planillas, proveedor, cliente_staff
):
    Articulo.objects.create(codigo_barras="7790000000001", nombre="Artículo del local")
    importar_lista(planillas, proveedor, JULIO, "julio.xlsx")
    agosto = {**JULIO, "A2": "2000", "A3": "3000", "A4": "4000"}
    archivo = importar_lista(planillas, proveedor, agosto, "agosto.xlsx")
    url = reverse("importaciones:retenidos", args=[archivo.pk])
    por_codigo = {
        r.precio_lista.codigo: r.pk for r in archivo.retenidos.select_related("precio_lista")
    }

    cliente_staff.post(url, {"accion": "aplicar", "retenido": [por_codigo["A2"]]})
    assert precios_de(proveedor)["A2"] == Decimal("2000")
    # El vínculo con el artículo del local (por EAN) refleja el precio aplicado.
    assert ArticuloProveedor.objects.get(precio_lista__codigo="A2").precio == Decimal("2000")
    assert HistorialPrecio.objects.filter(archivo=archivo).count() == 1

    cliente_staff.post(url, {"accion": "descartar", "retenido": [por_codigo["A3"]]})
    assert precios_de(proveedor)["A3"] == Decimal("1000")

    pagina = cliente_staff.get(reverse("importaciones:archivo", args=[archivo.pk]))
    contenido = pagina.content.decode()
    assert "Cambios retenidos: no se aplicaron (1)" in contenido and ">A4<" in contenido

    respuesta = cliente_staff.post(url, {"accion": "aplicar_todos"}, follow=True)
    assert "Se aplicaron 1 cambio(s) de precio." in respuesta.content.decode()
    assert precios_de(proveedor)["A4"] == Decimal("4000")
    assert dict(archivo.retenidos.values_list("precio_lista__codigo", "estado")) == {
        "A2": "aplicado",
        "A3": "descartado",
        "A4": "aplicado",
    }
    # Sin elegir ninguno no pasa nada, y lo dice.
    respuesta = cliente_staff.post(url, {"accion": "aplicar"}, follow=True)
    assert "Elegí al menos un cambio" in respuesta.content.decode()


def test_un_retenido_no_pisa_un_precio_mas_nuevo(planillas, proveedor):
    importar_lista(planillas, proveedor, JULIO, "julio.xlsx")
    agosto = importar_lista(planillas, proveedor, {**JULIO, "A1": "5000"}, "agosto.xlsx")
    importar_lista(planillas, proveedor, {**JULIO, "A1": "1050"}, "septiembre.xlsx")
    assert revision.aplicar_retenidos(agosto.pk) == 0
    assert precios_de(proveedor)["A1"] == Decimal("1050")
    assert agosto.retenidos.get().estado == CambioRetenido.Estado.DESCARTADO


def test_deshacer_vuelve_los_precios_y_borra_los_articulos_nuevos(
    planillas, proveedor, cliente_staff
):
    importar_lista(planillas, proveedor, JULIO, "julio.xlsx")
    agosto = importar_lista(
        planillas, proveedor, {**JULIO, "A1": "1100", "A2": "9000", "N1": "50"}, "agosto.xlsx"
    )
    cliente_staff.post(
        reverse("importaciones:retenidos", args=[agosto.pk]), {"accion": "aplicar_todos"}
    )
    assert precios_de(proveedor)["A2"] == Decimal("9000")

    informe = cliente_staff.get(reverse("importaciones:archivo", args=[agosto.pk]))
    assert "Deshacer la importación" in informe.content.decode()
    respuesta = cliente_staff.post(reverse("importaciones:deshacer", args=[agosto.pk]), follow=True)
    assert "2 precio(s) volvieron a su valor anterior" in respuesta.content.decode()
    assert precios_de(proveedor) == {c: Decimal(p) for c, p in JULIO.items()}
    assert not HistorialPrecio.objects.filter(archivo=agosto).exists()
    agosto.refresh_from_db()
    assert agosto.estado == "deshecho" and agosto.deshecho_en
    assert (
        "se deshizo"
        in cliente_staff.get(reverse("importaciones:archivo", args=[agosto.pk])).content.decode()
    )
    # Dos veces no: ya no está aplicada.
    respuesta = cliente_staff.post(reverse("importaciones:deshacer", args=[agosto.pk]), follow=True)
    assert "Sólo se puede deshacer una importación aplicada." in respuesta.content.decode()


def test_no_se_deshace_una_importacion_si_despues_se_aplico_otra(
    planillas, proveedor, cliente_staff
):
    importar_lista(planillas, proveedor, JULIO, "julio.xlsx")
    agosto = importar_lista(planillas, proveedor, {**JULIO, "A1": "1100"}, "agosto.xlsx")
    importar_lista(planillas, proveedor, {**JULIO, "A1": "1150"}, "septiembre.xlsx")
    informe = cliente_staff.get(reverse("importaciones:archivo", args=[agosto.pk]))
    assert "deshacé esa primero" in informe.content.decode()
    cliente_staff.post(reverse("importaciones:deshacer", args=[agosto.pk]))
    assert precios_de(proveedor)["A1"] == Decimal("1150")
    assert PrecioDeLista.objects.filter(proveedor=proveedor).count() == 6


def test_si_todos_los_cambios_quedan_retenidos_el_informe_no_dice_que_nada_cambio(
    planillas, proveedor, cliente_staff
):
    importar_lista(planillas, proveedor, JULIO, "julio.xlsx")
    agosto = importar_lista(planillas, proveedor, {**JULIO, "A1": "5000"}, "agosto.xlsx")
    contenido = cliente_staff.get(reverse("importaciones:archivo", args=[agosto.pk])).content
    assert "no cambió ningún precio" not in contenido.decode()
    assert "Cambios retenidos: no se aplicaron (1)" in contenido.decode()
