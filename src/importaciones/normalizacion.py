"""Reglas del dominio para convertir celdas en códigos, precios, IVA y bultos.

Un precio leído con otra escala (×100, ×1000) es el peor error posible: cuando
un texto es ambiguo (`1.234`, `1,234`) decide la convención de la columna, que
se deduce de los valores que no son ambiguos.
"""

import math
import re
from collections.abc import Iterable
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from .planillas import Celda

IVA_POR_DEFECTO = Decimal("0.21")
DECIMALES_PRECIO = Decimal("0.000001")
PRECIO_MAXIMO = Decimal("999999999999")
LARGO_MAXIMO_CODIGO = 64

SIN_PRECIO = {"", "-", "--", "–", "—", "s/p", "sp", "n/a", "na", "consultar", "#n/a"}
_SIMBOLOS = re.compile(r"(ars|\$|€|\s|\u00a0)", re.IGNORECASE)
# Un precio en dólares no se lee como si fuera en pesos: se descarta con su motivo.
_DOLARES = re.compile(r"(u\$s|us\$|usd|u\$d)", re.IGNORECASE)
_SOLO_DIGITOS = re.compile(r"^\d+$")
_MILES_PUNTO = re.compile(r"^\d{1,3}(\.\d{3})+(,\d+)?$")
_MILES_COMA = re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$")
_AMBIGUO = re.compile(r"^\d{1,3}[.,]\d{3}$")
_CODIGO_FLOAT = re.compile(r"^\d+\.0+$")
_FORMA_DE_NUMERO = re.compile(r"^\d[\d.,]*$")
_ENTERO = re.compile(r"\d+")


class ValorInvalido(ValueError):
    """La celda no tiene un valor usable; el mensaje es el motivo del descarte."""


def normalizar_codigo(valor: Celda) -> str:
    """Texto del código tal como lo escribe el proveedor (un 13128.0 numérico es "13128")."""
    if valor is None or isinstance(valor, bool):
        return ""
    if isinstance(valor, float):
        if not math.isfinite(valor):
            return ""
        return str(int(valor)) if valor.is_integer() else repr(valor)
    if isinstance(valor, int):
        return str(valor)
    texto = " ".join(str(valor).split())
    # Un CSV escrito por pandas trae los códigos numéricos como "13128.0".
    return texto[: texto.index(".")] if _CODIGO_FLOAT.match(texto) else texto


def clave_codigo(codigo: str) -> str:
    """Clave de comparación: un código numérico se compara sin ceros a la izquierda."""
    if _SOLO_DIGITOS.match(codigo):
        return codigo.lstrip("0") or "0"
    return codigo


def texto_de_celda(valor: Celda) -> str:
    """Una celda como texto, como la mostraría la planilla (13128.0 → "13128")."""
    if valor is None:
        return ""
    if isinstance(valor, float) and valor.is_integer():
        return str(int(valor))
    return str(valor)


def limpiar_texto(valor: Celda, largo: int) -> str:
    if valor is None:
        return ""
    if isinstance(valor, float) and valor.is_integer():
        valor = int(valor)
    return " ".join(str(valor).split())[:largo]


def _limpiar_numero(texto: str) -> str:
    return _SIMBOLOS.sub("", texto)


def votar_separador_decimal(valor: Celda) -> str | None:
    """ "," o "." si el texto muestra sin ambigüedad cuál es su separador decimal."""
    if not isinstance(valor, str):
        return None
    texto = _limpiar_numero(valor).lstrip("-+")
    # Sólo votan los textos con forma de número ("P. Lista" no dice nada del separador).
    if not _FORMA_DE_NUMERO.match(texto) or _AMBIGUO.match(texto):
        return None
    coma, punto = texto.rfind(","), texto.rfind(".")
    if coma >= 0 and punto >= 0:
        return "," if coma > punto else "."
    if texto.count(",") > 1:
        return "."
    if texto.count(".") > 1:
        return ","
    if coma >= 0:
        return ","
    if punto >= 0:
        return "."
    return None


def detectar_separador_decimal(valores: Iterable[Celda]) -> str | None:
    votos = {",": 0, ".": 0}
    for valor in valores:
        if voto := votar_separador_decimal(valor):
            votos[voto] += 1
    if votos[","] == votos["."]:
        return None
    return "," if votos[","] > votos["."] else "."


def parsear_numero(valor: Celda, separador_decimal: str | None = None) -> Decimal:
    """Un número de una celda: float, entero o texto con `$`, miles y coma o punto decimal.

    `separador_decimal` es la convención de la columna; sin ella, un texto
    ambiguo como `1.234` o `$7,249` se lee con separador de miles (en listas de
    precios en pesos es lo habitual) en vez de adivinar decimales.
    """
    if valor is None or isinstance(valor, bool):
        raise ValorInvalido("sin precio")
    if isinstance(valor, datetime | date | time):
        raise ValorInvalido("fecha en la columna de precio")
    if isinstance(valor, int):
        return Decimal(valor)
    if isinstance(valor, float):
        if not math.isfinite(valor):
            raise ValorInvalido("precio no numérico")
        # repr() da el decimal más corto que representa al float (sin ruido binario
        # de Decimal(float)); el redondeo a 6 decimales quita el resto.
        return Decimal(repr(valor))
    texto = str(valor).strip()
    if texto.lower() in SIN_PRECIO:
        raise ValorInvalido("sin precio")
    if _DOLARES.search(texto):
        raise ValorInvalido("precio en dólares (U$S)")
    negativo = texto.startswith("-")
    texto = _limpiar_numero(texto.lstrip("-+"))
    if not texto:
        raise ValorInvalido("sin precio")
    numero = _a_decimal(texto, separador_decimal)
    return -numero if negativo else numero


def _a_decimal(texto: str, separador_decimal: str | None) -> Decimal:
    if _AMBIGUO.match(texto):
        decimal_es = separador_decimal if separador_decimal == texto[-4] else None
        texto = texto.replace(texto[-4], ".") if decimal_es else texto.replace(texto[-4], "")
    elif _MILES_PUNTO.match(texto) or ("," in texto and "." not in texto and texto.count(",") == 1):
        texto = texto.replace(".", "").replace(",", ".")
    elif _MILES_COMA.match(texto):
        texto = texto.replace(",", "")
    elif "," in texto and "." in texto:
        raise ValorInvalido("precio no numérico")
    try:
        numero = Decimal(texto)
    except InvalidOperation as error:
        raise ValorInvalido("precio no numérico") from error
    if not numero.is_finite():
        raise ValorInvalido("precio no numérico")
    return numero


def parsear_precio(valor: Celda, separador_decimal: str | None = None) -> Decimal:
    precio = parsear_numero(valor, separador_decimal)
    if precio <= 0:
        raise ValorInvalido("precio cero o negativo")
    if precio > PRECIO_MAXIMO:
        raise ValorInvalido("precio fuera de rango")
    return precio.quantize(DECIMALES_PRECIO, rounding=ROUND_HALF_UP)


def parsear_iva(valor: Celda) -> Decimal:
    """IVA como fracción: `21`, `21%`, `0,21` y `10,5` dan 0.21, 0.21, 0.21 y 0.105."""
    if valor is None or valor == "":
        return IVA_POR_DEFECTO
    if isinstance(valor, str):
        valor = valor.replace("%", "")
    try:
        iva = parsear_numero(valor, ",")
    except ValorInvalido:
        return IVA_POR_DEFECTO
    if iva > 1:
        iva = iva / 100
    if not 0 <= iva < 1:
        return IVA_POR_DEFECTO
    return iva.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def parsear_bulto(valor: Celda) -> int:
    """Unidades por bulto: `x10`, `10u`, `10 unid.` o 10 dan 10; si no hay dato, 1."""
    if isinstance(valor, bool) or valor is None:
        return 1
    if isinstance(valor, int | float):
        return int(valor) if math.isfinite(valor) and valor >= 1 else 1
    encontrado = _ENTERO.search(str(valor))
    bulto = int(encontrado.group()) if encontrado else 1
    return bulto if 1 <= bulto <= 1_000_000 else 1


def normalizar_codigo_barras(valor: Celda) -> str:
    codigo = normalizar_codigo(valor)
    return codigo if _SOLO_DIGITOS.match(codigo) and 8 <= len(codigo) <= 14 else ""
