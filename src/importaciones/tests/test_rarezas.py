"""Las rarezas de las listas reales, en planillas fabricadas en los cuatro formatos."""

from decimal import Decimal

import pytest

from importaciones.tests.test_procesamiento import importar, precios_de

pytestmark = pytest.mark.django_db

RAREZAS = [
    ["FERRETERA DEL NORTE - LISTA N° 45", None, None, None],
    ["Precios sujetos a cambio", None, None, None],
    [None, None, None, None],
    ["Cód.", "Descripción", "P. Lista", "Unid."],
    ["HERRAMIENTAS MANUALES", None, None, None],  # título de rubro
    ["000123", "Martillo carpintero", "$ 1.234,56", "x6"],  # ceros a la izquierda, $ y miles
    [4567.0, "Pinza universal", 890, 12],  # código numérico guardado como float
    ["A-12/3", "Destornillador", " 1.711 € ", "10u"],
    ["Cód.", "Descripción", "P. Lista", "Unid."],  # sub-encabezado repetido
    ["B-1", "Llave francesa", "-", "1"],  # sin precio
    ["B-2", "Nivel de burbuja", "Mínimo de compra: 6", "1"],
    ["B-3", "Cinta métrica", "716.7049890000002", "1"],  # ruido binario como texto
    [None, None, None, None],
    [None, None, None, None],
    ["TOTALES :", None, None, None],
]


@pytest.mark.parametrize("formato", ["xlsx", "xls", "ods", "csv"])
def test_cada_rareza_se_lee_bien_o_se_descarta_con_motivo(planillas, proveedor, formato):
    (archivo,) = importar(proveedor, planillas[formato]({"Lista": RAREZAS}))
    assert archivo.estado == "procesado", archivo.mensaje_error
    assert precios_de(proveedor) == {
        "000123": Decimal("1234.56"),
        "4567": Decimal("890"),
        "A-12/3": Decimal("1711"),
        "B-3": Decimal("716.704989"),
    }
    assert archivo.filas_validas == 4
    assert sum(archivo.motivos_descarte.values()) == archivo.filas_descartadas == 5
    assert archivo.motivos_descarte.get("sin precio") == 1
    assert archivo.motivos_descarte.get("precio no numérico") == 1
