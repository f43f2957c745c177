"""Sugerencia de la fila de encabezado y de la columna de cada dato.

Primero por las palabras del encabezado ("Cód.", "P. Lista", "EAN"…); lo que
no se encuentra así se deduce de los datos (la columna numérica como precio,
la de textos largos como descripción).
"""

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field

from .models import CAMPOS, CAMPOS_REQUERIDOS
from .normalizacion import ValorInvalido, parsear_numero
from .planillas import Celda, letra_columna

FILAS_A_EXPLORAR = 30

# Palabras de encabezado por campo, con su peso: la frase más específica gana.
SINONIMOS: dict[str, dict[str, int]] = {
    "codigo": {
        "codigo": 10,
        "cod": 9,
        "cod articulo": 11,
        "codigo articulo": 11,
        "articulo": 7,
        "art": 6,
        "ref": 6,
        "referencia": 7,
        "sku": 8,
        "code": 8,
        "item code": 9,
        "product code": 9,
        "id": 3,
        "item": 4,
        "codigo producto": 11,
    },
    "descripcion": {
        "descripcion": 10,
        "detalle": 9,
        "denominacion": 9,
        "producto": 7,
        "nombre": 7,
        "description": 10,
        "descripcion del producto": 11,
        "product": 6,
        "item description": 10,
        "product description": 11,
        "concepto": 6,
    },
    "precio": {
        "precio": 8,
        "precios": 7,
        "p lista": 11,
        "precio lista": 11,
        "precio de lista": 11,
        "lista": 5,
        "precio unitario": 10,
        "precio unit": 10,
        "p unitario": 10,
        "p venta": 9,
        "precio venta": 9,
        "precio actual": 10,
        "precio s iva": 10,
        "precio sin iva": 10,
        "price": 8,
        "unit price": 10,
        "importe": 6,
        "publico": 7,
        "precio publico": 10,
        "pvp": 8,
        "costo": 5,
        "valor": 5,
        "precio 1": 8,
        "precio por unidad": 10,
    },
    "bulto": {
        "bulto": 10,
        "cant": 6,
        "cantidad": 6,
        "unid": 6,
        "unidades": 7,
        "pack": 7,
        "x caja": 8,
        "cant x cj": 9,
        "unidades por bulto": 11,
        "cant por envase": 9,
        "envase": 5,
        "case": 6,
        "pack size": 9,
        "u x b": 8,
    },
    "iva": {"iva": 10, "alicuota": 9, "iva %": 10, "alicuota iva": 10, "vat": 9, "tax": 5},
    "codigo_barras": {
        "ean": 10,
        "ean13": 10,
        "cod barras": 11,
        "codigo de barras": 11,
        "codigo barras": 11,
        "barcode": 10,
        "gtin": 10,
        "upc": 9,
        "cod ean": 11,
    },
    "marca": {"marca": 10, "brand": 10, "fabricante": 8, "laboratorio": 7, "proveedor": 3},
}
# Columnas de precio que no son el precio de lista vigente.
NO_ES_PRECIO = ("anterior", "variacion", "var", "%", "dif", "descuento", "c desc", "oferta")


def normalizar_encabezado(valor: Celda) -> str:
    texto = unicodedata.normalize("NFKD", str(valor or "")).encode("ascii", "ignore").decode()
    texto = re.sub(r"[^a-z0-9%]+", " ", texto.lower().replace("-", ""))
    return " ".join(texto.split())


def huella_encabezado(celdas: list[Celda]) -> str:
    """Identifica un formato de planilla por su encabezado, sin importar la hoja."""
    texto = "|".join(normalizar_encabezado(celda) for celda in celdas).rstrip("|")
    return hashlib.sha256(texto.encode()).hexdigest()[:32] if texto.strip("|") else ""


def _puntaje(campo: str, encabezado: str) -> int:
    if not encabezado:
        return 0
    if campo == "precio" and any(palabra in encabezado for palabra in NO_ES_PRECIO):
        return 0
    palabras = set(encabezado.split())
    mejor = 0
    for sinonimo, peso in SINONIMOS[campo].items():
        if encabezado == sinonimo:
            mejor = max(mejor, peso + 2)
        elif (" " in sinonimo and sinonimo in encabezado) or sinonimo in palabras:
            mejor = max(mejor, peso)
    return mejor


@dataclass
class Sugerencia:
    fila_encabezado: int
    columnas: dict[str, str] = field(default_factory=dict)
    motivos: dict[str, str] = field(default_factory=dict)

    @property
    def completa(self) -> bool:
        return all(self.columnas.get(campo) for campo in CAMPOS_REQUERIDOS)

    def mapeo(self) -> dict:
        return {"fila_encabezado": self.fila_encabezado, "columnas": dict(self.columnas)}


def sugerir_mapeo(filas: list[list[Celda]]) -> Sugerencia:
    fila_encabezado = detectar_fila_encabezado(filas)
    encabezado = [normalizar_encabezado(c) for c in filas[fila_encabezado - 1]] if filas else []
    sugerencia = Sugerencia(fila_encabezado)
    usadas: set[int] = set()

    # Por encabezado: asignar primero los pares (campo, columna) de mayor puntaje.
    candidatos = sorted(
        (
            (_puntaje(campo, texto), -indice, campo, indice)
            for campo in CAMPOS
            for indice, texto in enumerate(encabezado)
        ),
        reverse=True,
    )
    for puntaje, _orden, campo, indice in candidatos:
        if puntaje == 0 or campo in sugerencia.columnas or indice in usadas:
            continue
        sugerencia.columnas[campo] = letra_columna(indice)
        sugerencia.motivos[campo] = f"encabezado «{filas[fila_encabezado - 1][indice]}»"
        usadas.add(indice)

    datos = filas[fila_encabezado:]
    _sugerir_por_datos(sugerencia, datos, usadas)
    return sugerencia


def detectar_fila_encabezado(filas: list[list[Celda]]) -> int:
    """La fila (1-based) cuyas celdas más se parecen a nombres de columna."""
    mejor_fila, mejor_puntaje = 1, 0
    for numero, fila in enumerate(filas[:FILAS_A_EXPLORAR], start=1):
        textos = [normalizar_encabezado(c) for c in fila if isinstance(c, str)]
        campos = {campo for campo in CAMPOS for texto in textos if _puntaje(campo, texto) >= 5}
        puntaje = len(campos) + (2 if {"codigo", "precio"} <= campos else 0)
        if puntaje > mejor_puntaje:
            mejor_fila, mejor_puntaje = numero, puntaje
    return mejor_fila


def _es_numero(valor: Celda) -> bool:
    if isinstance(valor, bool) or valor in (None, ""):
        return False
    try:
        parsear_numero(valor)
    except ValorInvalido:
        return False
    return True


def _sugerir_por_datos(sugerencia: Sugerencia, datos: list[list[Celda]], usadas: set[int]) -> None:
    ancho = max((len(fila) for fila in datos), default=0)
    libres = [i for i in range(ancho) if i not in usadas]
    llenas = [fila for fila in datos if any(c not in (None, "") for c in fila)]
    if not llenas:
        return

    def valores(indice: int) -> list[Celda]:
        return [
            fila[indice] for fila in llenas if indice < len(fila) and fila[indice] not in (None, "")
        ]

    def proporcion_numerica(indice: int) -> float:
        return sum(_es_numero(v) for v in valores(indice)) / len(llenas)

    def largo_medio(indice: int) -> float:
        textos = [v for v in valores(indice) if isinstance(v, str) and not _es_numero(v)]
        return sum(len(t) for t in textos) / len(llenas)

    if "precio" not in sugerencia.columnas:
        numericas = [(proporcion_numerica(i), -i, i) for i in libres]
        numericas = [n for n in numericas if n[0] >= 0.5]
        if numericas:
            # La última columna numérica suele ser el precio (el código va primero).
            indice = max(numericas, key=lambda n: (round(n[0], 1), -n[1]))[2]
            sugerencia.columnas["precio"] = letra_columna(indice)
            sugerencia.motivos["precio"] = "la columna con más valores numéricos"
            libres.remove(indice)
    if "descripcion" not in sugerencia.columnas:
        textos = [(largo_medio(i), i) for i in libres]
        if textos and max(textos)[0] >= 8:
            indice = max(textos)[1]
            sugerencia.columnas["descripcion"] = letra_columna(indice)
            sugerencia.motivos["descripcion"] = "la columna con los textos más largos"
            libres.remove(indice)
    if "codigo" not in sugerencia.columnas:
        for indice in libres:
            vistos = valores(indice)
            if len(vistos) >= 0.8 * len(llenas) and len(set(map(str, vistos))) == len(vistos):
                sugerencia.columnas["codigo"] = letra_columna(indice)
                sugerencia.motivos["codigo"] = "la primera columna con valores únicos"
                break
