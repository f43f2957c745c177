"""Listas reales sin pérdidas: nada se descarta ni se cambia sin que una persona lo vea.

Repetidos (gana la primera fila), filas y listas sin código (se identifican por la
descripción), precios en otra moneda (se guardan con ella) y registros de CSV rotos por una
coma decimal sin comillas (se reparan sólo si hay una única forma). Cada caso con planillas
fabricadas acá, por la web, por `importar_lista --ahora` o por el servicio que usan los dos.
"""

import re
from decimal import Decimal

import pytest
from django.core.management import call_command

from conftest import escribir_csv
from importaciones.models import ArchivoPendiente, ConfigImportacion, FilaObservada
from importaciones.normalizacion import clave_por_descripcion
from importaciones.tests.test_procesamiento import importar
from precios.models import PrecioDeLista

pytestmark = pytest.mark.django_db

ENCABEZADO = ["Código", "Descripción", "Precio"]


def precios(proveedor) -> dict[str, tuple[str, Decimal, str]]:
    return {
        p.codigo_clave: (p.descripcion, p.precio, p.moneda)
        for p in PrecioDeLista.objects.filter(proveedor=proveedor)
    }


def observadas(archivo: ArchivoPendiente, tipo: str) -> list[tuple]:
    return list(
        archivo.observaciones.filter(tipo=tipo).values_list(
            "fila", "codigo", "descripcion", "precio", "detalle"
        )
    )


# --- Códigos repetidos ------------------------------------------------------------------


def test_un_codigo_repetido_deja_la_primera_fila_y_el_informe_lista_cada_repeticion(
    planillas, proveedor
):
    filas = [
        ["LISTA DE PRECIOS"],
        ENCABEZADO,
        ["LU01", "Abrelatas uña económico", "1045"],
        ["NA3", "Accesorios mini torno", "10285"],
        ["LU01", "ABRELATAS  UÑA ECONOMICO", "1100"],  # el mismo artículo, escrito distinto
        ["LU01", "Destornillador plano", "999"],  # el mismo código, otro artículo
    ]
    (archivo,) = importar(proveedor, planillas["xlsx"]({"Lista": filas}))
    assert precios(proveedor)["LU01"] == ("Abrelatas uña económico", Decimal("1045"), "ARS")
    assert (archivo.codigos_repetidos, archivo.creados) == (2, 2)
    precio_id = PrecioDeLista.objects.get(proveedor=proveedor, codigo="LU01").pk
    assert observadas(archivo, "repetida") == [
        (5, "LU01", "ABRELATAS UÑA ECONOMICO", Decimal("1100"), "queda la fila 3"),
        (
            6,
            "LU01",
            "Destornillador plano",
            Decimal("999"),
            "mismo código, otro artículo: queda la fila 3 («Abrelatas uña económico»)",
        ),
    ]
    assert set(archivo.observaciones.values_list("precio_lista_id", flat=True)) == {precio_id}


def test_codigos_con_y_sin_ceros_a_la_izquierda_son_el_mismo_repetido(planillas, proveedor):
    filas = [ENCABEZADO, ["0037", "Tarugo 8", "10"], ["37", "Tarugo 8", "12"]]
    (archivo,) = importar(proveedor, planillas["csv"]({"L": filas}))
    assert precios(proveedor) == {"37": ("Tarugo 8", Decimal("10"), "ARS")}
    assert [fila for fila, *_ in observadas(archivo, "repetida")] == [3]


# --- Filas sin código en una lista con columna de código -----------------------------


def test_una_fila_sin_codigo_se_importa_por_descripcion_y_la_lista_siguiente_la_actualiza(
    planillas, proveedor
):
    julio = [
        ENCABEZADO,
        ["A1", "Martillo", "1500"],
        [None, "Cerco plástico romboidal 1 m", "2300"],
    ]
    (primero,) = importar(proveedor, planillas["xlsx"]({"Lista": julio}))
    assert (primero.filas_validas, primero.por_descripcion, primero.creados) == (2, 1, 2)
    assert observadas(primero, "sin_codigo") == [
        (3, "", "Cerco plástico romboidal 1 m", Decimal("2300"), "")
    ]
    # El mes siguiente el proveedor la escribe con otras mayúsculas, acentos y espacios.
    agosto = [
        ENCABEZADO,
        ["A1", "Martillo", "1500"],
        ["", "  CERCO PLASTICO  romboidal 1 m ", "2530"],
    ]
    (segundo,) = importar(proveedor, planillas["xlsx"]({"Lista": agosto}, nombre="agosto.xlsx"))
    assert (segundo.creados, segundo.actualizados) == (0, 1)
    (sin_codigo,) = PrecioDeLista.objects.filter(proveedor=proveedor, codigo="")
    assert sin_codigo.precio == Decimal("2530")
    assert sin_codigo.historial.get().precio_anterior == Decimal("2300")
    assert sin_codigo.codigo_completo == "sin código/TOR"


def test_una_fila_sin_codigo_ni_precio_es_un_titulo_y_una_sin_descripcion_no_es_articulo(
    planillas, proveedor
):
    filas = [
        ENCABEZADO,
        [None, "HERRAMIENTAS DE MANO", None],
        ["A1", "Martillo", "1500"],
        [None, None, "99"],
        [None, "Total", "1599"],
    ]
    (archivo,) = importar(proveedor, planillas["xlsx"]({"Lista": filas}))
    assert archivo.filas_validas == 1
    assert archivo.motivos_descarte == {
        "título de rubro (sólo texto, sin código ni precio)": 1,
        "sin código ni descripción": 1,
        "fila de total": 1,
    }


# --- Listas sin columna de código ----------------------------------------------------

VINOTECA = [
    ["VINOTECA MONTES - ARTÍCULOS"],
    [],
    ["description", "category", "price"],
    ["ACEITE DE OLIVA CORTIJO X 1LT", "ALMACEN", 23500.0],
    ["ACEITE DE OLIVA CORTIJO X 250", "ALMACEN", 8000.0],
    ["MALBEC RESERVA X 750", "VINOS", 15300.0],
    ["BOTANICOS SECOS GRANDES", "ALMACEN", 9300.0],
    ["SECOS INFUSION HIBISCUS", "ALMACEN", 3500.0],
    ["AMERICAN CLUB X750 PIÑA COLADA", "BEBIDAS", 8100.0],
    ["aceite de oliva cortijo x 1lt", "ALMACEN", 24000.0],  # repetida por descripción
]


def test_una_lista_sin_codigos_se_importa_por_descripcion_con_la_sugerencia(planillas, proveedor):
    (archivo,) = importar(proveedor, planillas["xlsx"]({"Hoja1": VINOTECA}))
    assert archivo.estado == "procesado", archivo.mensaje_error
    assert (archivo.filas_validas, archivo.por_descripcion, archivo.creados) == (7, 7, 6)
    assert archivo.mapeo["sin_codigo"] is True
    assert precios(proveedor)[clave_por_descripcion("Aceite de oliva cortijo x 1LT")] == (
        "ACEITE DE OLIVA CORTIJO X 1LT",
        Decimal("23500"),
        "ARS",
    )
    # Sin código no hay observación "sin código" por fila (es la lista entera), pero la
    # repetida por descripción sí se informa.
    assert not observadas(archivo, "sin_codigo")
    assert [fila for fila, *_ in observadas(archivo, "repetida")] == [10]
    assert ConfigImportacion.objects.get(proveedor=proveedor).sin_codigo


def test_la_pagina_de_columnas_ofrece_sin_columna_de_codigo_y_lo_recuerda(
    cliente_staff, planillas, proveedor
):
    ruta = planillas["xlsx"]({"Hoja1": VINOTECA[:3] + VINOTECA[3:5]})  # poca muestra
    with ruta.open("rb") as archivo:
        respuesta = cliente_staff.post(
            "/importaciones/", {"proveedor": proveedor.pk, "archivo": archivo}
        )
    url = respuesta["Location"]
    pagina = cliente_staff.get(url).content.decode()
    assert "Sin columna de código" in pagina
    # Sin código y sin marcar «sin columna de código»: se pide una de las dos cosas.
    datos = {
        "hoja0-importar": "on",
        "hoja0-fila_encabezado": "3",
        "hoja0-descripcion": "A",
        "hoja0-precio": "C",
    }
    assert "marcá «sin columna de código»" in cliente_staff.post(url, datos).content.decode()
    respuesta = cliente_staff.post(url, {**datos, "hoja0-sin_codigo": "on"})
    assert respuesta.status_code == 302
    (archivo,) = ArchivoPendiente.objects.all()
    assert archivo.mapeo["sin_codigo"] is True and not archivo.mapeo["columnas"]["codigo"]
    assert ConfigImportacion.objects.get(proveedor=proveedor).sin_codigo

    # La lista siguiente del proveedor viene con la elección guardada.
    ruta = planillas["xlsx"]({"Hoja1": VINOTECA}, nombre="mayo.xlsx")
    with ruta.open("rb") as archivo:
        respuesta = cliente_staff.post(
            "/importaciones/", {"proveedor": proveedor.pk, "archivo": archivo}
        )
    pagina = cliente_staff.get(respuesta["Location"]).content.decode()
    assert re.search(r'<input[^>]*name="hoja0-sin_codigo"[^>]*checked', pagina)
    assert "configuración guardada: la lista no trae códigos" in pagina


def test_importar_lista_ahora_importa_una_lista_sin_codigos(planillas, proveedor, capsys):
    ruta = planillas["xlsx"]({"Hoja1": VINOTECA})
    call_command("importar_lista", str(ruta), "--proveedor", "TOR", "--ahora")
    salida = capsys.readouterr().out
    assert "6 nuevos" in salida and "7 sin código (identificados por descripción)" in salida
    assert PrecioDeLista.objects.filter(proveedor=proveedor, codigo="").count() == 6


# --- Precios en otra moneda ----------------------------------------------------------


def test_los_precios_en_dolares_se_guardan_con_su_moneda_y_no_se_descartan(planillas, proveedor):
    filas = [
        ["Código", "Descripción", "Moneda", "Precio"],
        ["A1", "Taladro", "$", "150.000,00"],
        ["A2", "Amoladora importada", "U$S", "120,50"],
        ["A3", "Sierra", "$", "45.000,00"],
        ["A4", "Compresor", "U$S", "310,00"],
        ["A5", "Soldadora", "", "U$S 95,00"],  # la moneda en la celda del precio
        ["A6", "Disco", "", "€ 12,00"],
    ]
    (archivo,) = importar(proveedor, planillas["xlsx"]({"Lista": filas}))
    assert archivo.filas_validas == 6 and not archivo.motivos_descarte
    assert precios(proveedor) == {
        "A1": ("Taladro", Decimal("150000"), "ARS"),
        "A2": ("Amoladora importada", Decimal("120.5"), "USD"),
        "A3": ("Sierra", Decimal("45000"), "ARS"),
        "A4": ("Compresor", Decimal("310"), "USD"),
        "A5": ("Soldadora", Decimal("95"), "USD"),
        "A6": ("Disco", Decimal("12"), "EUR"),
    }


@pytest.mark.parametrize("formato", ["xlsx", "csv"])
def test_una_columna_de_precio_en_dolares_lo_dice_en_su_titulo(planillas, proveedor, formato):
    filas = [
        ["Código", "Descripción", "Precio U$S"],
        ["A1", "Bomba", "120,50"],
        ["A2", "Caño", "3"],
    ]
    importar(proveedor, planillas[formato]({"Lista": filas}))
    assert {moneda for _d, _p, moneda in precios(proveedor).values()} == {"USD"}


def test_un_precio_que_cambia_de_moneda_no_se_toma_por_un_salto_de_escala(planillas, proveedor):
    # Todos pasan de pesos a dólares: ÷1000 en número, pero no es la coma mal leída.
    antes = [ENCABEZADO] + [[f"A{i}", f"Artículo {i}", f"{i * 1000},00"] for i in range(1, 8)]
    despues = [ENCABEZADO] + [[f"A{i}", f"Artículo {i}", f"U$S {i},00"] for i in range(1, 8)]
    importar(proveedor, planillas["xlsx"]({"Lista": antes}))
    (archivo,) = importar(proveedor, planillas["xlsx"]({"Lista": despues}, nombre="usd.xlsx"))
    assert archivo.estado == "procesado", archivo.mensaje_error
    assert (archivo.actualizados, archivo.sospechosos) == (7, 0)
    assert precios(proveedor)["A3"] == ("Artículo 3", Decimal("3"), "USD")


# --- CSV con un campo de más (coma decimal sin comillas) ------------------------------


def _csv_con_registros(tmp_path, registros: list[str]) -> object:
    normales = [f"A{i},Artículo {i},{100 + i * 37}.50,21" for i in range(1, 12)]
    texto = "\r\n".join(["codigo,descripcion,precio,iva", *normales, *registros]) + "\r\n"
    ruta = tmp_path / "rota.csv"
    ruta.write_text(texto, encoding="utf-8")
    return ruta


def test_un_registro_con_la_coma_decimal_sin_comillas_se_repara_y_se_informa(tmp_path, proveedor):
    ruta = _csv_con_registros(tmp_path, ["B1,Clavo,1234,56,21"])
    (archivo,) = importar(proveedor, ruta)
    assert (archivo.filas_validas, archivo.filas_reparadas) == (12, 1)
    assert precios(proveedor)["B1"] == ("Clavo", Decimal("1234.56"), "ARS")
    ((fila, codigo, _descripcion, precio, detalle),) = observadas(archivo, "reparada")
    assert (fila, codigo, precio) == (13, "B1", Decimal("1234.56"))
    assert "«1234» y «56»" in detalle


def test_un_registro_roto_que_no_se_puede_reparar_se_descarta_sin_correr_columnas(
    tmp_path, proveedor
):
    ruta = _csv_con_registros(
        tmp_path,
        [
            "B2,Tornillo 3,5 x 40,120.50,21",  # la coma está en la descripción
            "B3,Tuerca,1,2,3,21",  # dos campos de más
        ],
    )
    (archivo,) = importar(proveedor, ruta)
    assert archivo.filas_validas == 11 and archivo.filas_reparadas == 0
    assert not {"B2", "B3"} & set(precios(proveedor))
    assert archivo.motivos_descarte == {
        "registro con un campo de más (una coma sin comillas) y no se puede saber dónde va": 1,
        "registro con 2 campos de más (comas sin comillas): no se puede saber dónde van": 1,
    }


def test_un_csv_con_punto_y_coma_no_confunde_la_coma_decimal_con_un_campo(tmp_path, proveedor):
    ruta = escribir_csv(
        tmp_path / "pc.csv",
        [ENCABEZADO, ["A1", "Clavo", "1234,56"], ["A2", "Tuerca", "10,5"]],
        "cp1252",
        ";",
    )
    (archivo,) = importar(proveedor, ruta)
    assert archivo.filas_reparadas == 0
    assert precios(proveedor)["A1"][1] == Decimal("1234.56")


def test_las_observaciones_se_borran_con_su_archivo(planillas, proveedor):
    filas = [ENCABEZADO, ["A1", "Uno", "1"], ["A1", "Otro", "2"], [None, "Sin código", "3"]]
    (archivo,) = importar(proveedor, planillas["xlsx"]({"Lista": filas}))
    assert FilaObservada.objects.filter(archivo=archivo).count() == 2
    archivo.delete()
    assert not FilaObservada.objects.exists()
