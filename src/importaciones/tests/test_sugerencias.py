from conftest import lista_con_banner
from importaciones.sugerencias import huella_encabezado, sugerir_mapeo


def test_encuentra_el_encabezado_debajo_del_banner_y_sugiere_columnas():
    sugerencia = sugerir_mapeo(lista_con_banner(10))
    assert sugerencia.fila_encabezado == 4
    assert sugerencia.columnas == {
        "codigo": "A",
        "descripcion": "B",
        "marca": "C",
        "precio": "D",
        "iva": "E",
        "bulto": "F",
    }
    assert sugerencia.completa


def test_sinonimos_habituales_de_encabezados():
    filas = [
        ["Artículo", "Detalle", "Precio Unitario", "Precio anterior", "EAN", "Unid."],
        ["A1", "Martillo galponero", "1500", "1400", "7791234567897", "6"],
    ]
    sugerencia = sugerir_mapeo(filas)
    assert sugerencia.columnas["codigo"] == "A"
    assert sugerencia.columnas["descripcion"] == "B"
    assert sugerencia.columnas["precio"] == "C"
    assert sugerencia.columnas["codigo_barras"] == "E"
    assert sugerencia.columnas["bulto"] == "F"


def test_sin_encabezado_reconocible_deduce_precio_y_descripcion_de_los_datos():
    filas = [
        ["X1", "Pinza universal 8 pulgadas", "4500,50"],
        ["X2", "Destornillador plano", "1200"],
    ]
    sugerencia = sugerir_mapeo(filas)
    assert sugerencia.columnas["precio"] == "C"
    assert sugerencia.columnas["descripcion"] == "B"


def test_la_huella_reconoce_el_mismo_encabezado_con_otra_grafia():
    assert huella_encabezado(["Cód.", "Descripción", None]) == huella_encabezado(
        ["COD", "descripcion"]
    )
    assert huella_encabezado(["Cód.", "Precio"]) != huella_encabezado(["Cód.", "Costo"])
