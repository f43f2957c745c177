"""Propiedades del parseo de precios: cualquier notación soportada vuelve al mismo Decimal."""

from decimal import Decimal

from hypothesis import example, given
from hypothesis import strategies as st

from importaciones.normalizacion import (
    DECIMALES_PRECIO,
    ValorInvalido,
    detectar_separador_decimal,
    parsear_precio,
)

# Precios de 0,01 a 999.999.999,99 con 0 a 6 decimales, como los escribe un proveedor.
precios = st.builds(
    lambda entero, fraccion, decimales: (
        Decimal(entero) + (Decimal(fraccion % 10**decimales) / 10**decimales if decimales else 0)
    ),
    st.integers(min_value=0, max_value=999_999_999),
    st.integers(min_value=0, max_value=999_999),
    st.integers(min_value=0, max_value=6),
).filter(lambda precio: precio > 0)


def _con_miles(entero: int, separador: str) -> str:
    return f"{entero:,}".replace(",", separador)


def _escribir(precio: Decimal, decimal: str, miles: bool, prefijo: str, sufijo: str) -> str:
    entero, _, fraccion = f"{precio:f}".partition(".")
    texto = _con_miles(int(entero), "." if decimal == "," else ",") if miles else entero
    if fraccion:
        texto += decimal + fraccion
    return f"{prefijo}{texto}{sufijo}"


@given(
    precio=precios,
    decimal=st.sampled_from([",", "."]),
    miles=st.booleans(),
    prefijo=st.sampled_from(["", "$", "$ ", " ", "ARS "]),
    sufijo=st.sampled_from(["", " ", " €", "\u00a0"]),
)
@example(precio=Decimal("1234.56"), decimal=",", miles=True, prefijo="$ ", sufijo="")
@example(precio=Decimal("1711"), decimal=",", miles=True, prefijo=" ", sufijo=" €")
def test_un_precio_escrito_en_cualquier_notacion_vuelve_al_mismo_decimal(
    precio, decimal, miles, prefijo, sufijo
):
    texto = _escribir(precio, decimal, miles, prefijo, sufijo)
    # La convención de la columna es la del proveedor: se la pasa como lo haría la lectura.
    assert parsear_precio(texto, decimal) == precio.quantize(DECIMALES_PRECIO)


@given(precio=precios)
def test_un_float_con_ruido_binario_se_lee_con_sus_decimales(precio):
    # Hasta 15 cifras significativas un float vuelve exacto: ni el ruido ni el redondeo a 2.
    assert parsear_precio(float(precio)) == precio.quantize(DECIMALES_PRECIO)


@given(
    precios=st.lists(precios, min_size=1, max_size=20),
    decimal=st.sampled_from([",", "."]),
)
def test_nunca_se_lee_otra_escala_en_silencio(precios, decimal):
    """Con la convención deducida de la misma columna, cada valor vuelve igual o se rechaza."""
    textos = [_escribir(p, decimal, True, "$", "") for p in precios]
    separador = detectar_separador_decimal(textos)
    for precio, texto in zip(precios, textos, strict=True):
        try:
            leido = parsear_precio(texto, separador)
        except ValorInvalido:
            continue
        # Única excepción documentada: si TODA la columna es ambigua ("1.234" y nada más),
        # se lee con separador de miles, lo habitual en pesos. Nunca ×10 ni ×100.
        assert leido == precio.quantize(DECIMALES_PRECIO) or (
            separador is None and leido == (precio * 1000).quantize(DECIMALES_PRECIO)
        )
