"""Listas reales de proveedores (../shared/corpus_real, ver FUENTES.md), leídas en su lugar.

Cada lista pasa por el mismo camino que la web con la sugerencia automática:
subir, confirmar la propuesta tal cual, procesar. Se comparan las filas del
CSV normalizado (número de fila original → código y precio), porque en varias
listas el mismo código se repite más abajo con otro precio.
"""

import csv
import io
from decimal import Decimal

import pytest
from django.core.files import File
from django.core.files.storage import default_storage

from conftest import corpus
from importaciones import services
from proveedores.models import Proveedor

pytestmark = pytest.mark.django_db

SEIS_DECIMALES = Decimal("0.000001")

CASOS = {
    # archivo: (hoja, fila de encabezado, columna de precio, {fila: (código, precio)} de FUENTES.md,
    #           filas que no deben importarse)
    "ar_distribuidora3d_lista390_jul2024.xlsx": (
        "Reemplazable",
        16,
        "D",
        {18: ("LU01", "1045"), 19: ("NA3", "10285"), 20: ("A2T500", "3236"), 22: ("LUB01", "744")},
        [],
    ),
    # Precio: F «P.Venta»; H «P. c/desc.» es el precio con descuento.
    "ar_bauen_lista16_fusion_jul2024.xlsx": (
        "Reemplazable",
        13,
        "F",
        {
            17: ("FUS-0006", "520.17"),
            18: ("FUS-0008", "124.58"),
            19: ("FUS-0010", "293.77"),
            21: ("FUS-0014", "111.51"),
            418: ("PON-3007", "114.73"),  # la única con coma decimal
        },
        [237, 420],  # ELC-17004: precio "-"; "BAZAR" con 0.1 (título con la marca de descuento)
    ),
    # Encabezado partido en las filas 11–13; precio: E «PRECIO ACTUAL» (D es el anterior).
    # El bloque 2 (filas 3013+, lista vieja con otro layout) no se importa.
    "ar_ferriplast_lista_general_2024-07-29.xlsx": (
        "Reemplazable",
        11,
        "E",
        {
            15: ("13128", "5364.848"),
            16: ("13308", "7751.226"),
            18: ("12145", "4482.338"),
            19: ("13059", "5378.356"),
            21: ("6971", "14061.62"),
        },
        [17, 20, 3013, 3014, 5000],
    ),
    # Precio: J «PRECIO POR UNIDAD ARS» (K es por envase).
    "ar_fischer_lista_ferreteria_ago2024.xlsx": (
        "Reemplazable",
        4,
        "J",
        {
            5: ("560091", "2299570.3125"),
            6: ("553412", "323953.4186705826"),
            7: ("553415", "493740"),
            9: ("553416", "25196.630742551224"),
        },
        [34],  # 510637: precio unitario "-"
    ),
    # Bloques con su propio sub-encabezado; "Mínimo de compra:", exhibidores y totales fuera.
    "ar_eq_artistica_productos_nacionales_2024.xlsx": (
        "Reemplazable",
        3,
        "C",
        {
            4: ("300", "716.7049890000002"),
            5: ("302", "716.7049890000002"),
            8: ("307", "716.7049890000002"),
            925: ("10-1000", "1825.066386"),
        },
        [921, 924, 994, 997, 1383, 1398, 1354],
    ),
    "ar_aceros_bragado_precios.xlsx": (
        "Hoja1",
        1,
        "I",
        {2: ("ACAB00032", "5074.44"), 3: ("ACAB00038", "345.55"), 4: ("ACAB00041", "7186.99")},
        [],
    ),
    "ar_fedafar_farmacia_price_list.xlsx": (
        "Sheet1",
        4,
        "D",
        {5: ("000023593", "0.01"), 6: ("000023592", "16500"), 7: ("000023697", "25725")},
        [],
    ),
    "en_spm_ecommerce_product_catalogue.xlsx": (
        "Products",
        1,
        "F",
        {2: ("9686887", "13.45"), 3: ("8500532", "2.99"), 6: ("8773013", "6.99")},
        [],
    ),
    # Títulos de precio en I/M, valores en H/L (celdas combinadas); precio: sin IVA.
    "ve_belher_drogueria_lista_precios_biff8.xls": (
        "Sheet1",
        5,
        "H",
        {
            8: ("7591956110217", "0.55145"),
            9: ("7591956110224", "0.80482"),
            12: ("7591956110255", "7.8246"),
        },
        [7],  # marca como título de sección
    ),
    # Precio: D «COSTO» (lo que cobra el proveedor); E/F son precios de venta del comercio.
    "ar_corralon_ferretera_del_norte_3600_biff4.xls": (
        "Sheet 1",
        1,
        "D",
        {
            2: ("131646", "30043.332000000002"),
            3: ("140106", "3051.9880000000003"),
            4: ("127024", "222.543"),
            5: ("180012", "13737.996000000001"),
            6: ("", "1.663"),  # sin COD. PROV: se identifica por su descripción
        },
        [707],  # fila fantasma
    ),
    # Precio: G «Precio» (mínimo/máximo/sugerido valen 0). El registro 4 está roto por una
    # coma sin comillas: se descarta con su motivo en vez de leer el precio corrido.
    "co_maderas_listaprecios_siesa.csv": (
        "CSV",
        2,
        "G",
        {5: ("TONELADAPULPA", "175756"), 6: ("C3ZOC0801100", "1311"), 8: ("C3ZOC0801200", "2621")},
        [4],
    ),
    "en_spm_distributors_price_list.csv": (
        "CSV",
        1,
        "D",
        {2: ("VSBAN", "34.99"), 3: ("VSBANF-M", "23.99"), 5: ("VSCUTL", "26.49")},
        [],
    ),
    # Precio: D «COSTO», como en la lista de la que sale (E/F y las "$ Venta …" son de venta).
    "ar_corralon_articulos_stock_proveedores_utf8.csv": (
        "CSV",
        1,
        "D",
        {
            3: ("10085087", "5000.156"),
            4: ("10084067", "4583.268"),
            5: ("", "7500.185"),  # sin COD. PROV: se identifica por su descripción
            6: ("92-0151", "23452.695"),
        },
        [2],  # fila fantasma
    ),
    "ar_danirox_electricidad_publico_2024-08-02_pandas.ods": (
        "Publico",
        1,
        "C",
        {
            4: ("13128", "5731.357631999999"),
            6: ("13059", "5745.7878015999995"),
            9: ("6970", "14863.519193599997"),
        },
        [2, 3, 5, 8],  # títulos de sección
    ),
}

# Listas sin columna de código: se importan identificando cada artículo por su descripción.
# archivo: (hoja, {fila: (descripción, precio)} de FUENTES.md, filas que no deben importarse)
POR_DESCRIPCION = {
    "ar_vinoteca_montes_articulos_04_2026_xlsx_disfrazado.xls": (
        "Hoja1",
        {
            4: ("ACEITE DE OLIVA CORTIJO X 1LT", "23500"),
            5: ("ACEITE DE OLIVA CORTIJO X 250", "8000"),
            8: ("BOTANICOS SECOS GRANDES", "9300"),
        },
        [],
    ),
    "ar_forjarc_optica_lista_plana.csv": (
        "CSV",
        {
            2: (
                "[Lentes de Stock] Organico Blue Light Cut c/ Antirreflex (Índice: 1.56, Tipo: "
                "Stock, Graduación: Esf +/- 6.00 // Esf/Cil +6.00 / -2.00 // -6.00 / +2.00)",
                "7249",
            ),
            3: (
                "[Lentes de Stock] Organico Blue Light Cut c/ Antirreflex (Índice: 1.56, Tipo: "
                "Rango Extendido, Graduación: Esf/Cil +4.00 / -4.00 // -4.00 / -4.00)",
                "15783",
            ),
        },
        [82, 83],  # "PASE DE CRISTALES …": precio "-"
    ),
}
# Una planilla armada para la vista (matrices, sin columnas fijas): decide una persona.
LAYOUT_VISUAL = "ar_forjarc_optica_lista_resumida_gsheets.csv"


def _filas_normalizadas(ruta: str) -> dict[int, tuple[str, Decimal]]:
    with default_storage.open(ruta, "rb") as normalizado:
        lector = csv.DictReader(io.TextIOWrapper(normalizado, encoding="utf-8"))
        return {int(f["fila"]): (f["codigo"], Decimal(f["precio"])) for f in lector}


@pytest.mark.parametrize("nombre", CASOS)
def test_lista_real_se_importa_con_la_sugerencia_automatica(nombre):
    hoja, fila_encabezado, columna_precio, esperados, descartadas = CASOS[nombre]
    proveedor = Proveedor.objects.create(nombre="Real", abreviatura="REAL")
    with corpus(nombre).open("rb") as contenido:
        subida, propuestas = services.subir_planilla(proveedor, File(contenido), nombre)
    propuesta = next(p for p in propuestas if p.hoja.nombre == hoja)
    assert propuesta.completa, propuesta.motivos
    assert propuesta.mapeo["fila_encabezado"] == fila_encabezado
    assert propuesta.mapeo["columnas"]["precio"] == columna_precio, propuesta.motivos

    (archivo,) = services.confirmar_importacion(subida, {hoja: propuesta.mapeo}, encolar=False)
    services.procesar_pendientes()
    archivo.refresh_from_db()
    assert archivo.estado == "procesado", archivo.mensaje_error
    filas = _filas_normalizadas(archivo.ruta_csv)
    for fila, (codigo, precio) in esperados.items():
        assert filas.get(fila) == (codigo, Decimal(precio).quantize(SEIS_DECIMALES)), fila
    for fila in descartadas:
        assert fila not in filas, fila
    # Cada fila leída y no importada tiene su motivo.
    assert archivo.filas_leidas == archivo.filas_validas + sum(archivo.motivos_descarte.values())


def test_ferriplast_explica_que_eligio_el_precio_actual_y_corta_la_lista_vieja():
    nombre = "ar_ferriplast_lista_general_2024-07-29.xlsx"
    proveedor = Proveedor.objects.create(nombre="FerriPlast", abreviatura="FP")
    with corpus(nombre).open("rb") as contenido:
        subida, propuestas = services.subir_planilla(proveedor, File(contenido), nombre)
    propuesta = next(p for p in propuestas if p.hoja.nombre == "Reemplazable")
    assert propuesta.mapeo["columnas"]["codigo"] == "C"
    assert propuesta.mapeo["columnas"]["descripcion"] == "B"
    assert "PRECIO ANTERIOR" in propuesta.motivos["precio"]
    assert "vigente" in propuesta.motivos["precio"]

    (archivo,) = services.confirmar_importacion(
        subida, {"Reemplazable": propuesta.mapeo}, encolar=False
    )
    services.procesar_pendientes()
    archivo.refresh_from_db()
    # 2.679 artículos en el bloque 1; las 2.684 filas del bloque 2 quedan fuera con su motivo.
    assert 2600 <= archivo.filas_validas <= 2679
    assert archivo.motivos_descarte[
        "código sin números (título, total, nota o fila de otro formato)"
    ]


@pytest.mark.parametrize("nombre", POR_DESCRIPCION)
def test_lista_sin_codigos_se_importa_por_descripcion(nombre):
    hoja, esperados, descartadas = POR_DESCRIPCION[nombre]
    proveedor = Proveedor.objects.create(nombre="Real", abreviatura="REAL")
    with corpus(nombre).open("rb") as contenido:
        subida, propuestas = services.subir_planilla(proveedor, File(contenido), nombre)
    propuesta = next(p for p in propuestas if p.hoja.nombre == hoja)
    assert propuesta.completa and propuesta.mapeo["sin_codigo"], propuesta.motivos
    assert "se identifica por su descripción" in propuesta.motivos["codigo"]

    (archivo,) = services.confirmar_importacion(subida, {hoja: propuesta.mapeo}, encolar=False)
    services.procesar_pendientes()
    archivo.refresh_from_db()
    assert archivo.estado == "procesado", archivo.mensaje_error
    assert archivo.por_descripcion == archivo.filas_validas
    with default_storage.open(archivo.ruta_csv, "rb") as normalizado:
        lector = csv.DictReader(io.TextIOWrapper(normalizado, encoding="utf-8"))
        filas = {
            int(f["fila"]): (f["codigo"], f["descripcion"], Decimal(f["precio"])) for f in lector
        }
    for fila, (descripcion, precio) in esperados.items():
        assert filas.get(fila) == ("", descripcion, Decimal(precio).quantize(SEIS_DECIMALES)), fila
    for fila in descartadas:
        assert fila not in filas, fila
    # La configuración recuerda que la lista no trae códigos.
    assert proveedor.configuraciones.get().sin_codigo


def test_lista_armada_para_la_vista_pide_elegir_y_lo_explica():
    proveedor = Proveedor.objects.create(nombre="Real", abreviatura="REAL")
    with corpus(LAYOUT_VISUAL).open("rb") as contenido:
        _subida, (propuesta,) = services.subir_planilla(proveedor, File(contenido), LAYOUT_VISUAL)
    assert not propuesta.completa and not propuesta.mapeo["sin_codigo"]
    assert "No se encontró una columna de código" in propuesta.motivos["codigo"]
