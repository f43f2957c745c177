import pytest

from importaciones.normalizacion import ValorInvalido
from importaciones.reparacion import ReparadorDeRegistros

SIN_UNION = "registro con un campo de más (una coma sin comillas) y no se puede saber dónde va"

# codigo, descripcion, precio, iva: precios de 15,2 a 3100 e IVA de 10,5 o 21.
FERRETERIA = [
    ["A1", "Tornillo", "120.5", "21"],
    ["A2", "Tuerca", "1500", "10.5"],
    ["A3", "Arandela", "15.2", "21"],
    ["A4", "Bulón", "980", "21"],
    ["A5", "Taco fisher", "45.75", "10.5"],
    ["A6", "Martillo", "3100", "21"],
    ["A7", "Destornillador", "2300", "21"],
    ["A8", "Cinta métrica", "640", "10.5"],
    ["B1", "Pinza", "1850", "21"],
    ["B2", "Lija", "210", "21"],
    ["B3", "Cola vinílica", "85", "10.5"],
]

# id, ref, desc, fecha (serial de Excel), um, moneda, precio, min, max, sug, dscto, desc.
COLOMBIA = [
    ["2", "TUBO12", "TUBO GALV 1/2", "45292", "UND", "COP", "15000", "0", "0", "0", "0", ""],
    ["3", "TUBO34", "TUBO GALV 3/4", "45300", "UND", "COP", "21000", "0", "0", "0", "", ""],
    ["4", "CODO12", "CODO 90 1/2", "45310", "UND", "COP", "2500", "0", "0", "0", "5", ""],
    ["5", "VAR38", "VARILLA 3/8", "45350", "UND", "COP", "18000", "0", "0", "0", "", ""],
    ["6", "ALAM18", "ALAMBRE 18", "45400", "KG", "COP", "9800", "0", "0", "0", "0", ""],
    ["7", "CEM50", "CEMENTO 50 KG", "45420", "UND", "COP", "32000", "0", "0", "0", "", ""],
    ["8", "ARE1", "ARENA M3", "45450", "M3", "COP", "85000", "0", "0", "0", "0", ""],
    ["9", "TEJ1", "TEJA ETERNIT 6", "45500", "UND", "COP", "41000", "0", "0", "0", "", ""],
    ["10", "PUN1", "PUNTILLA 2", "45550", "LB", "COP", "6500", "0", "0", "0", "0", ""],
    ["11", "LAD1", "LADRILLO", "45600", "UND", "COP", "1200", "0", "0", "0", "", ""],
]


def test_repara_un_precio_partido_por_la_coma_decimal():
    reparador = ReparadorDeRegistros(FERRETERIA, 4)

    # Unir «56» y «21» daría un IVA de 56,21: fuera de lo que muestra esa columna.
    registro, detalle = reparador.reparar(["A9", "Clavo", "1234", "56", "21"])

    assert registro == ["A9", "Clavo", "1234,56", "21"]
    assert detalle == "se unieron «1234» y «56» en la columna C (coma decimal sin comillas)"


def test_repara_un_precio_con_signo_pesos_y_puntos_de_miles():
    reparador = ReparadorDeRegistros(FERRETERIA, 4)

    registro, _ = reparador.reparar(["A9", "Amoladora", "$1.234", "5", "10.5"])

    assert registro == ["A9", "Amoladora", "$1.234,5", "10.5"]


def test_repara_un_precio_mucho_mayor_que_los_de_las_primeras_filas():
    reparador = ReparadorDeRegistros(FERRETERIA, 4)

    registro, _ = reparador.reparar(["C1", "Compresor", "250000", "50", "21"])

    assert registro == ["C1", "Compresor", "250000,50", "21"]


def test_no_repara_un_iva_partido_que_tambien_encaja_como_precio():
    reparador = ReparadorDeRegistros(FERRETERIA, 4)

    # Precio 21 con IVA 10,5, o precio 21,10 con IVA 5: las dos lecturas encajan.
    with pytest.raises(ValorInvalido) as error:
        reparador.reparar(["A9", "Clavo", "21", "10", "5"])

    assert str(error.value) == f"{SIN_UNION}: es ambiguo, 2 uniones posibles"


def test_no_corre_columnas_por_una_coma_en_la_descripcion():
    reparador = ReparadorDeRegistros(FERRETERIA, 4)

    # "120,21" sería un IVA fuera de rango y dejaría "5 x 40" donde va el precio.
    with pytest.raises(ValorInvalido) as error:
        reparador.reparar(["A9", "Tornillo 3", "5 x 40", "120", "21"])

    assert str(error.value) == SIN_UNION


def test_no_repara_un_registro_con_dos_campos_de_mas():
    reparador = ReparadorDeRegistros(FERRETERIA, 4)

    with pytest.raises(ValorInvalido) as error:
        reparador.reparar(["A9", "Clavo", "1", "234", "56", "21"])

    assert str(error.value) == (
        "registro con 2 campos de más (comas sin comillas): no se puede saber dónde van"
    )


def test_un_registro_que_no_es_mas_largo_es_un_error_del_que_llama():
    reparador = ReparadorDeRegistros(FERRETERIA, 4)

    for fila in (["A1", "Tornillo", "120.5", "21"], ["A1", "Tornillo", "120.5"]):
        with pytest.raises(ValueError, match="no sobra ninguno") as error:
            reparador.reparar(fila)
        assert not isinstance(error.value, ValorInvalido)


def test_acepta_una_celda_vacia_solo_donde_las_filas_normales_la_tienen():
    fila = ["A9", "Clavo", "1234", "56", ""]
    sin_iva = [*FERRETERIA, ["B4", "Masilla", "730", ""]]

    with pytest.raises(ValorInvalido):
        ReparadorDeRegistros(FERRETERIA, 4).reparar(fila)
    registro, _ = ReparadorDeRegistros(sin_iva, 4).reparar(fila)

    assert registro == ["A9", "Clavo", "1234,56", ""]


def test_no_repara_nada_sin_filas_normales_suficientes_para_conocer_las_columnas():
    reparador = ReparadorDeRegistros(FERRETERIA[:4], 4)

    with pytest.raises(ValorInvalido) as error:
        reparador.reparar(["A9", "Clavo", "1234", "56", "21"])

    assert str(error.value) == SIN_UNION


def test_no_une_una_coma_seguida_de_espacio():
    reparador = ReparadorDeRegistros(FERRETERIA, 4)

    with pytest.raises(ValorInvalido):
        reparador.reparar(["A9", "Clavo", "1234", " 56", "21"])


def test_no_pone_en_la_columna_de_fecha_un_numero_fuera_de_su_rango():
    reparador = ReparadorDeRegistros(COLOMBIA, 12)
    fila = ["1", "TONELADAROL23", "TONELADA ROLO 2", "3", "45292", "UND", "COP", "300000", "0"]
    fila += ["0", "0", "", ""]

    # La coma estaba en la descripción ("TONELADA ROLO 2,3"). La única unión que da un número
    # y deja el resto como una fila normal es 3,45292 en la fecha (45292 a 45600): no encaja.
    with pytest.raises(ValorInvalido) as error:
        reparador.reparar(fila)

    assert str(error.value) == SIN_UNION
