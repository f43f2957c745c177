"""Lo que ve la persona después de importar: cambios, historial, saltos de escala y descartes."""

import io
from decimal import Decimal

import pytest
import python_calamine
from django.urls import reverse

from importaciones import services
from importaciones.models import ConfigImportacion
from importaciones.tests.test_procesamiento import importar, precios_de
from precios.models import HistorialPrecio, PrecioDeLista

pytestmark = pytest.mark.django_db


def lista(precios: dict[str, str]) -> list[list]:
    return [["Código", "Descripción", "Precio"]] + [
        [codigo, f"Artículo {codigo}", precio] for codigo, precio in precios.items()
    ]


BASE = {f"A{i}": f"{100 + i},50" for i in range(10)}


def test_cada_cambio_de_precio_queda_en_el_historial(planillas, proveedor):
    importar(proveedor, planillas["csv"]({"L": lista(BASE)}, nombre="julio.csv"))
    assert not HistorialPrecio.objects.exists()  # el alta no es un cambio

    nuevos = {**BASE, "A1": "120,00", "A2": "90,00"}
    (segundo,) = importar(proveedor, planillas["csv"]({"L": lista(nuevos)}, nombre="agosto.csv"))
    cambios = {
        c.precio_lista.codigo: (c.precio_anterior, c.precio_nuevo, c.archivo_id)
        for c in HistorialPrecio.objects.select_related("precio_lista")
    }
    assert cambios == {
        "A1": (Decimal("101.5"), Decimal("120"), segundo.pk),
        "A2": (Decimal("102.5"), Decimal("90"), segundo.pk),
    }
    assert (segundo.actualizados, segundo.sin_cambios, segundo.creados) == (2, 8, 0)


def test_reimportar_el_mismo_archivo_no_cambia_nada_y_lo_dice(planillas, proveedor, cliente_staff):
    ruta = planillas["csv"]({"L": lista(BASE)})
    importar(proveedor, ruta)
    (otra_vez,) = importar(proveedor, ruta)
    assert (otra_vez.creados, otra_vez.actualizados, otra_vez.sin_cambios) == (0, 0, 10)
    assert not HistorialPrecio.objects.exists()
    pagina = cliente_staff.get(reverse("importaciones:archivo", args=[otra_vez.pk]))
    assert "no cambió ningún precio" in pagina.content.decode()


def test_un_salto_de_escala_no_se_aplica_sin_confirmar(planillas, proveedor, cliente_staff):
    importar(proveedor, planillas["csv"]({"L": lista(BASE)}))
    # La coma decimal se perdió: 100,50 llega como 10050.
    por_cien = {codigo: precio.replace(",", "") for codigo, precio in BASE.items()}
    (archivo,) = importar(proveedor, planillas["csv"]({"L": lista(por_cien)}, nombre="mal.csv"))
    assert archivo.estado == "revisar"
    assert "×100" in archivo.mensaje_error
    assert precios_de(proveedor)["A0"] == Decimal("100.5")  # nada se tocó
    assert not HistorialPrecio.objects.exists()

    pagina = cliente_staff.get(reverse("importaciones:archivo", args=[archivo.pk]))
    assert "Aplicar igual" in pagina.content.decode()
    url = reverse("importaciones:aplicar_igual", args=[archivo.pk])
    cliente_staff.post(url)
    cliente_staff.post(url)  # doble clic: una sola vez
    services.procesar_pendientes()
    archivo.refresh_from_db()
    assert archivo.estado == "procesado" and archivo.escala_confirmada
    assert precios_de(proveedor)["A0"] == Decimal("10050")
    assert HistorialPrecio.objects.count() == 10


def test_informe_marca_sospechosos_y_lo_que_ya_no_esta(planillas, proveedor, cliente_staff):
    importar(proveedor, planillas["csv"]({"L": lista(BASE)}))
    nuevos = {**BASE, "A1": "200,00", "Z9": "5,00"}
    del nuevos["A8"], nuevos["A9"]
    (archivo,) = importar(proveedor, planillas["csv"]({"L": lista(nuevos)}, nombre="b.csv"))
    assert (archivo.sospechosos, archivo.faltantes, archivo.creados) == (1, 2, 1)
    assert archivo.faltantes_muestra == ["A8", "A9"]
    assert PrecioDeLista.objects.filter(codigo="A8").exists()  # no se borra

    contenido = cliente_staff.get(
        reverse("importaciones:archivo", args=[archivo.pk])
    ).content.decode()
    assert "Cambios sospechosos" in contenido and "97,0 %" in contenido
    assert "A8, A9" in contenido
    assert "Artículo Z9" in contenido  # nuevo


def test_las_filas_descartadas_se_descargan_con_su_numero_y_valores(
    planillas, proveedor, cliente_staff
):
    filas = [
        ["Código", "Descripción", "Precio"],
        ["A1", "Martillo", "1.500,00"],
        ["A2", "Sin precio", "-"],
        ["=HIPERVINCULO()", "Fórmula", "abc"],
    ]
    (archivo,) = importar(proveedor, planillas["xlsx"]({"L": filas}))
    respuesta = cliente_staff.get(reverse("importaciones:descartes", args=[archivo.pk]))
    assert respuesta.status_code == 200
    libro = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(b"".join(respuesta)))
    descartadas = libro.get_sheet_by_index(0).to_python()
    assert descartadas[0] == ["Fila", "Motivo", "Código", "Descripción", "Precio"]
    assert descartadas[1] == [3.0, "sin precio", "A2", "Sin precio", "-"]
    assert descartadas[2][2] == "'=HIPERVINCULO()"  # nunca se ejecuta como fórmula


def test_la_convencion_decimal_del_proveedor_decide_los_ambiguos(planillas, proveedor):
    importar(proveedor, planillas["csv"]({"L": lista({"A1": "10,50", "A2": "1.250,75"})}))
    assert ConfigImportacion.objects.get().separador_decimal == ","
    # Sólo valores ambiguos: vale la convención guardada (coma decimal).
    (archivo,) = importar(
        proveedor, planillas["csv"]({"L": lista({"A3": "5,125"})}, nombre="b.csv")
    )
    assert archivo.estado == "procesado"
    assert precios_de(proveedor)["A3"] == Decimal("5.125")


def test_la_ficha_del_articulo_muestra_su_historial(
    planillas, proveedor, client, django_user_model
):
    importar(proveedor, planillas["csv"]({"L": lista(BASE)}))
    importar(proveedor, planillas["csv"]({"L": lista({**BASE, "A1": "130,00"})}, nombre="b.csv"))
    client.force_login(django_user_model.objects.create_user("mostrador", password="x-1-y"))
    precio = PrecioDeLista.objects.get(codigo="A1")
    contenido = client.get(reverse("precios:detalle", args=[precio.pk])).content.decode()
    assert "$ 101,50" in contenido and "$ 130,00" in contenido and "28,1 %" in contenido
    assert "<polyline" in contenido


def test_un_articulo_que_se_muda_de_hoja_sin_cambios_falta_en_la_hoja_nueva(planillas, proveedor):
    filas = [["Código", "Descripción", "Precio"], ["X1", "Martillo", "100"], ["Y1", "Pinza", "50"]]
    importar(proveedor, planillas["xlsx"]({"Herramientas": filas}))
    mudado = [filas[0], filas[1], ["Z1", "Nivel", "70"]]
    (archivo,) = importar(proveedor, planillas["xlsx"]({"Ferreteria": mudado}, nombre="b.xlsx"))
    assert (archivo.creados, archivo.actualizados, archivo.sin_cambios) == (1, 0, 1)

    (archivo,) = importar(
        proveedor, planillas["xlsx"]({"Ferreteria": [filas[0], mudado[2]]}, nombre="c.xlsx")
    )
    assert (archivo.faltantes, archivo.faltantes_muestra) == (1, ["X1"])
