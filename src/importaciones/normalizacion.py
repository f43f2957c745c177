"""Reglas del dominio para convertir celdas en códigos, precios, IVA y bultos.

Un precio leído con otra escala (×100, ×1000) es el peor error posible: cuando
un texto es ambiguo (`1.234`, `1,234`) decide la convención de la columna, que
se deduce de los valores que no son ambiguos.
"""

import hashlib
import math
import re
import unicodedata
from collections.abc import Iterable
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from precios.iva import IVA_POR_DEFECTO

from .lectores import Celda

DECIMALES_PRECIO = Decimal("0.000001")
PRECIO_MAXIMO = Decimal("999999999999")
LARGO_MAXIMO_CODIGO = 64

SIN_PRECIO = {"", "-", "--", "–", "—", "s/p", "sp", "n/a", "na", "consultar", "#n/a"}
MONEDA_POR_DEFECTO = "ARS"
# Cómo escriben la moneda los proveedores, en la celda del precio, en una columna de moneda o
# en el título del precio ("Precio U$S"). Un "$" solo es peso: así lo escribe una lista
# argentina. Agregar una forma nueva es agregar una palabra acá.
MONEDAS = {
    "USD": ("u$s", "us$", "u$d", "usd", "uss", "dolar", "dolares"),
    "EUR": ("eur", "euro", "euros", "€"),
    "ARS": ("$", "ars", "pesos", "$ar"),
}
_MONEDA_DE_PALABRA = {
    palabra: moneda for moneda, palabras in MONEDAS.items() for palabra in palabras
}
# Marcas de moneda dentro de un precio escrito como texto ("U$S 12,50", "12,50 US$", "€ 3").
_MARCA_DE_MONEDA = re.compile(r"u\$s|us\$|u\$d|usd|eur|€", re.IGNORECASE)
# En el título de una columna de precio: "Precio U$S", "P. Lista USD", "Precio en dólares".
_MONEDA_EN_TITULO = re.compile(
    r"u\$s|us\$|u\$d|\busd\b|\bd[oó]lar(es)?\b|\beur(os?)?\b|€", re.IGNORECASE
)
_SIMBOLOS = re.compile(r"(u\$s|us\$|u\$d|usd|eur|ars|\$|€|\s|\u00a0)", re.IGNORECASE)
# Un artículo sin código se identifica por su descripción: esta clave no choca con ningún
# código (ninguno empieza así) y cabe en codigo_clave (5 + 40 caracteres).
PREFIJO_CLAVE_DESCRIPCION = "desc:"
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


def moneda_del_precio(valor: Celda) -> str | None:
    """USD o EUR si el precio escrito como texto lo dice ("U$S 12,50"); None si no dice nada."""
    if not isinstance(valor, str):
        return None
    encontrada = _MARCA_DE_MONEDA.search(valor)
    return _MONEDA_DE_PALABRA[encontrada.group().lower()] if encontrada else None


def moneda_de_palabra(texto: str) -> str | None:
    """La moneda de una celda de una columna de moneda ("U$S", "$", "EUR"), o None."""
    return _MONEDA_DE_PALABRA.get(_sin_acentos(texto).strip().lower())


def moneda_del_titulo(titulo: str) -> str | None:
    """La moneda que nombra el título de una columna de precio ("Precio U$S" → USD)."""
    encontrada = _MONEDA_EN_TITULO.search(titulo)
    if not encontrada:
        return None
    palabra = _sin_acentos(encontrada.group()).lower()
    return "EUR" if palabra.startswith(("eur", "€")) else "USD"


def _sin_acentos(texto: str) -> str:
    descompuesto = unicodedata.normalize("NFKD", texto)
    return "".join(c for c in descompuesto if not unicodedata.combining(c))


def descripcion_normalizada(descripcion: str) -> str:
    """Para comparar descripciones: sin espacios de más, sin mayúsculas y sin acentos."""
    return " ".join(_sin_acentos(descripcion).casefold().split())


def clave_por_descripcion(descripcion: str) -> str:
    """La clave de un artículo sin código: la misma descripción da la misma clave cada mes."""
    normalizada = descripcion_normalizada(descripcion).encode()
    return PREFIJO_CLAVE_DESCRIPCION + hashlib.sha1(normalizada, usedforsecurity=False).hexdigest()


def normalizar_codigo_barras(valor: Celda) -> str:
    codigo = normalizar_codigo(valor)
    return codigo if _SOLO_DIGITOS.match(codigo) and 8 <= len(codigo) <= 14 else ""
