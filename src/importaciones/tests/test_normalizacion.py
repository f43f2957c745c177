from datetime import date
from decimal import Decimal

import pytest

from importaciones.normalizacion import (
    ValorInvalido,
    clave_codigo,
    clave_por_descripcion,
    detectar_separador_decimal,
    moneda_del_precio,
    moneda_del_titulo,
    normalizar_codigo,
    normalizar_codigo_barras,
    parsear_bulto,
    parsear_iva,
    parsear_precio,
)


@pytest.mark.parametrize(
    ("texto", "esperado"),
    [
        ("1.234,56", "1234.56"),
        ("1,234.56", "1234.56"),
        ("$ 1.234,56", "1234.56"),
        (" 1.711 € ", "1711"),
        ("520,17", "520.17"),
        ("520.17", "520.17"),
        ("114,73", "114.73"),
        ("1045", "1045"),
        ("1.234.567", "1234567"),
        ("1,234,567.5", "1234567.5"),
        ("$66.500", "66500"),
        ("$7,249", "7249"),
        ("8928.310000000001", "8928.31"),
        (" 1.711 € ", "1711"),
        ("$ 43,000", "43000"),
        (716.7049890000002, "716.704989"),
        (0.55145, "0.55145"),
        (1045, "1045"),
        (13856.13, "13856.13"),
    ],
)
def test_lee_precios_en_cualquier_notacion(texto, esperado):
    assert parsear_precio(texto) == Decimal(esperado)


def test_un_precio_ambiguo_sigue_la_convencion_de_la_columna():
    assert parsear_precio("1,234", ",") == Decimal("1.234")
    assert parsear_precio("1.234", ".") == Decimal("1.234")
    assert parsear_precio("1.234", ",") == Decimal("1234")
    assert parsear_precio("1,234", ".") == Decimal("1234")


def test_la_convencion_se_deduce_de_los_valores_no_ambiguos():
    assert detectar_separador_decimal(["1.234", "520,17", "1.500,25"]) == ","
    assert detectar_separador_decimal(["1,234", "520.17", "3.5"]) == "."
    assert detectar_separador_decimal(["1.234", 55.0, None]) is None


@pytest.mark.parametrize(
    ("valor", "motivo"),
    [
        ("-", "sin precio"),
        ("", "sin precio"),
        (None, "sin precio"),
        ("Mínimo de compra: 6", "precio no numérico"),
        (date(2024, 7, 23), "fecha en la columna de precio"),
        ("0", "precio cero o negativo"),
        ("-5", "precio cero o negativo"),
        (float("nan"), "precio no numérico"),
        ("NaN", "precio no numérico"),
        ("1e400", "precio fuera de rango"),
        ("1.234,5.6", "precio no numérico"),
    ],
)
def test_rechaza_lo_que_no_es_un_precio_con_su_motivo(valor, motivo):
    with pytest.raises(ValorInvalido, match=motivo):
        parsear_precio(valor)


def test_codigos_numericos_se_comparan_sin_ceros_a_la_izquierda():
    assert normalizar_codigo(13128.0) == "13128"
    assert normalizar_codigo("13128.0") == "13128"
    assert normalizar_codigo("12.5") == "12.5"
    assert normalizar_codigo("  000023593 ") == "000023593"
    assert clave_codigo("0037") == clave_codigo("37") == "37"
    assert clave_codigo("0037-25") == "0037-25"
    assert clave_codigo("000") == "0"


def test_iva_se_guarda_como_fraccion():
    assert parsear_iva("21") == Decimal("0.21")
    assert parsear_iva("21%") == Decimal("0.21")
    assert parsear_iva("0,21") == Decimal("0.21")
    assert parsear_iva("10,5") == Decimal("0.105")
    assert parsear_iva(10.5) == Decimal("0.105")
    assert parsear_iva("") == Decimal("0.21")


def test_bulto_se_lee_de_textos_como_x10():
    assert parsear_bulto("x10") == 10
    assert parsear_bulto("10u") == 10
    assert parsear_bulto("10 unid.") == 10
    assert parsear_bulto(6.0) == 6
    assert parsear_bulto("") == 1
    assert parsear_bulto(0) == 1


def test_codigo_de_barras_no_pasa_por_formato_de_float():
    assert normalizar_codigo_barras(7792112600911.0) == "7792112600911"
    assert normalizar_codigo_barras("7792112600911") == "7792112600911"
    assert normalizar_codigo_barras("sin código") == ""


@pytest.mark.parametrize(
    ("valor", "numero", "moneda"),
    [
        ("U$S 12,5", "12.5", "USD"),
        ("USD 1.234,50", "1234.50", "USD"),
        ("12,50 US$", "12.50", "USD"),
        ("€ 3,20", "3.20", "EUR"),
        ("$ 1.045", "1045", None),
        (1045.0, "1045", None),
    ],
)
def test_un_precio_en_otra_moneda_se_lee_con_su_moneda(valor, numero, moneda):
    assert parsear_precio(valor, ",") == Decimal(numero)
    assert moneda_del_precio(valor) == moneda


@pytest.mark.parametrize(
    ("titulo", "moneda"),
    [
        ("Precio U$S", "USD"),
        ("P. Lista USD", "USD"),
        ("Precio en dólares", "USD"),
        ("Precio EUR", "EUR"),
        ("PRECIO POR UNIDAD ARS", None),
        ("Precio", None),
        ("Producto", None),
    ],
)
def test_la_moneda_de_una_columna_se_lee_de_su_titulo(titulo, moneda):
    assert moneda_del_titulo(titulo) == moneda


def test_la_clave_por_descripcion_no_depende_de_mayusculas_acentos_ni_espacios():
    assert clave_por_descripcion("  Cerco  PLÁSTICO romboidal ") == clave_por_descripcion(
        "cerco plastico ROMBOIDAL"
    )
    assert clave_por_descripcion("Cerco plástico") != clave_por_descripcion("Cerco metálico")
    assert len(clave_por_descripcion("x" * 500)) <= 64


def test_los_textos_que_no_son_numeros_no_votan_el_separador():
    # Un sub-encabezado repetido ("P. Lista") no debe inclinar la convención.
    assert detectar_separador_decimal(["1.234,56", "P. Lista", "716.70"]) is None
