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


def test_encabezado_partido_en_tres_filas_y_precio_vigente_explicado():
    filas = [
        ["", "LISTA GENERAL 29-07-2024"],
        ["", "DENOMINACION", "ARTÍ-", "PRECIO", "PRECIO", "CANT", "IVA"],
        ["", "", "CULO", "ANTERIOR", "ACTUAL", "X", "%"],
        ["", "        ADHESIVOS", "", "", "", "CJ", ""],
        ["", "LIMPIA CONTACTO 250 ML", "13128", "5286.45", "5364.848", "6", "21"],
        ["", "LIMPIA CONTACTO 400 ML", "13308", "7637.95", "7751.226", "6", "21"],
    ]
    sugerencia = sugerir_mapeo(filas)
    assert sugerencia.fila_encabezado == 2
    assert sugerencia.columnas["codigo"] == "C"
    assert sugerencia.columnas["descripcion"] == "B"
    assert sugerencia.columnas["precio"] == "E"
    assert sugerencia.motivos["precio"].startswith("«PRECIO ACTUAL»: hay otras columnas de precio")
    assert "PRECIO ANTERIOR" in sugerencia.motivos["precio"]


def test_titulos_corridos_por_celdas_combinadas_se_mapean_por_los_valores():
    filas = [
        ["Marca", "", "", "", "", "Precio sin\n IVA", "", "Precio con\n IVA"],
        ["Referencia", "", "", "Descripción"],
        ["ALCOHOL EL GUARDIAN"],
        ["7591956110217", "", "", "AGUA OXIGENADA 120ML", 0.55145, "", 0.639682],
        ["7591956110224", "", "", "AGUA OXIGENADA 240ML", 0.80482, "", 0.933591],
    ]
    sugerencia = sugerir_mapeo(filas)
    assert sugerencia.columnas["codigo"] == "A"
    assert sugerencia.columnas["precio"] == "E"
    assert "marca" not in sugerencia.columnas
    assert "iva" not in sugerencia.columnas


def test_sin_columna_de_codigo_la_sugerencia_identifica_por_descripcion_y_lo_explica():
    filas = [
        ["description", "category", "price"],
        ["ACEITE DE OLIVA X 1LT", "ALMACEN", 23500.0],
        ["ACEITE DE OLIVA X 250", "ALMACEN", 8000.0],
        ["BOTANICOS SECOS GRANDES", "BEBIDAS", 9300.0],
    ]
    sugerencia = sugerir_mapeo(filas)
    assert sugerencia.completa and sugerencia.sin_codigo
    assert sugerencia.mapeo()["sin_codigo"] is True
    assert not sugerencia.columnas.get("codigo")
    assert "se identifica por su descripción" in sugerencia.motivos["codigo"]


def test_sin_codigo_y_descripciones_que_no_identifican_la_sugerencia_queda_incompleta():
    # Una planilla armada para la vista: la "descripción" repite graduaciones en cada bloque.
    filas = [
        ["Graduación", "Precio"],
        ["+8,00 a -12,00", 60014.0],
        ["+8,00 a -12,00", 90095.0],
        ["+5,50 a -4,00", 43000.0],
        ["+5,50 a -4,00", 60520.0],
    ]
    sugerencia = sugerir_mapeo(filas)
    assert not sugerencia.completa and not sugerencia.sin_codigo
    assert "No se encontró una columna de código" in sugerencia.motivos["codigo"]
