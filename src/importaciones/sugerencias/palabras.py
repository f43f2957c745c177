"""Las palabras que reconocen cada columna de una lista de precios, todas en un lugar.

Agregar un sinónimo es una línea: `"p publico": 10,` en el campo `precio` de SINONIMOS.
Se escriben como quedan después de `normalizar_encabezado` (sin acentos ni puntuación,
en minúsculas): "P. Público" es "p publico". El peso decide entre dos columnas que
dicen lo mismo: la frase más específica gana ("cod proveedor" 11 sobre "cod" 9).
"""

import re
import unicodedata

from ..lectores import Celda

# Un texto más largo no es un título de columna (es una nota o una descripción).
LARGO_MAXIMO_ENCABEZADO = 60

# Palabras de encabezado por campo, con su peso: la frase más específica gana.
SINONIMOS: dict[str, dict[str, int]] = {
    "codigo": {
        "codigo": 10,
        "cod": 9,
        "cod articulo": 11,
        "codigo articulo": 11,
        "cod prov": 11,
        "codigo proveedor": 11,
        "cod proveedor": 11,
        "cod artic": 11,
        "articulo": 7,
        "art": 6,
        "ref": 6,
        "referencia": 7,
        "sku": 8,
        "code": 8,
        "item code": 9,
        "product code": 9,
        "pid": 8,
        "id": 3,
        "item": 4,
        "codigo producto": 11,
    },
    "descripcion": {
        "descripcion": 10,
        "descrip": 10,
        "desc item": 9,
        "detalle": 9,
        "denominacion": 9,
        "producto": 7,
        "nombre": 7,
        "description": 10,
        "descripcion del producto": 11,
        "product": 6,
        "product name": 10,
        "item description": 10,
        "product description": 11,
        "concepto": 6,
        "articulo": 6,
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
        "precio por unidad": 10,
        "p venta": 9,
        "precio venta": 9,
        "venta": 6,
        "precio actual": 10,
        "precio vigente": 10,
        "precio s iva": 10,
        "precio sin iva": 10,
        "precio neto": 10,
        "price": 8,
        "sale price": 9,
        "unit price": 10,
        "importe": 6,
        "publico": 7,
        "precio publico": 10,
        "pvp": 8,
        "costo": 8,
        "precio costo": 9,
        "valor": 5,
        "precio 1": 8,
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
        "pack description": 9,
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
    "marca": {
        "marca": 10,
        "brand": 10,
        "fabricante": 8,
        "laboratorio": 7,
        "desc adic": 7,
        "proveedor": 3,
    },
}
# Columnas con palabras de precio que nunca son el precio de lista vigente.
NO_ES_PRECIO = (
    "anterior",
    "variacion",
    "var",
    "%",
    "dif",
    "descuento",
    "dscto",
    "c desc",
    "oferta",
    "promoc",
    "total",
)
# Precios que sólo se eligen si no hay otro: (palabra, penalización, por qué se prefirió otro).
PRECIOS_SECUNDARIOS = (
    ("con iva", 4, "el precio sin IVA (el IVA va aparte)"),
    ("minimo", 4, "el precio de lista, no el mínimo ni el máximo"),
    ("maximo", 4, "el precio de lista, no el mínimo ni el máximo"),
    ("sugerido", 4, "el precio de lista, no el sugerido"),
    ("efectivo", 4, "el precio de lista, no el de pago en efectivo"),
    ("envase", 3, "el precio por unidad"),
    ("caja", 3, "el precio por unidad"),
    ("bulto", 3, "el precio por unidad"),
    ("venta", 0, "el costo: las columnas de venta son precios del comercio, no del proveedor"),
    ("publico", 0, "el costo: las columnas al público son precios del comercio"),
)
# Palabras de encabezado que no son campos pero delatan una fila de títulos.
OTRAS_PALABRAS_DE_ENCABEZADO = {
    "total",
    "subtotal",
    "tipo",
    "linea",
    "modelo",
    "color",
    "colores",
    "medida",
    "motivo",
    "motivos",
    "unit",
    "moneda",
    "unidad",
    "categoria",
    "rubro",
    "familia",
    "stock",
}
# Columnas de textos cortos repetidos que no son la marca.
NO_ES_MARCA = (
    "categ",
    "sbu",
    "rubro",
    "fam",
    "gru",
    "tipo",
    "unidad",
    "moneda",
    "estado",
    "stock",
    "subcarpeta",
    "subtitulo",
    "item",
    "envase",
    "oferta",
    "iva",
)
# Monedas de otros países que una columna de moneda puede traer y que no se guardan aparte:
# son la moneda local de esa lista (una lista colombiana dice COP en cada fila).
OTRAS_MONEDAS = {"cop", "clp", "uyu", "brl", "pyg", "mxn"}
# Palabras que hacen de una columna una columna de precio, aunque no sea el que se elige.
PALABRAS_DE_PRECIO = ("precio", "price", "p venta", "p lista", "costo", "publico", "pvp", "venta")
# Columnas de precio con descuento: se prefiere la de lista.
PALABRAS_DE_DESCUENTO = ("desc", "descuento", "dscto", "oferta")


def normalizar_encabezado(valor: Celda) -> str:
    texto = unicodedata.normalize("NFKD", str(valor or "")).encode("ascii", "ignore").decode()
    texto = re.sub(r"[^a-z0-9%]+", " ", texto.lower().replace("-", ""))
    return " ".join(texto.split())


def tiene_palabra(encabezado: str, palabra: str) -> bool:
    return (" " in palabra and palabra in encabezado) or palabra in encabezado.split()


def puntaje(campo: str, encabezado: str) -> int:
    if not encabezado or len(encabezado) > LARGO_MAXIMO_ENCABEZADO:
        return 0
    if campo == "precio" and any(tiene_palabra(encabezado, p) for p in NO_ES_PRECIO):
        return 0
    if campo in ("iva", "bulto") and tiene_palabra(encabezado, "precio"):
        return 0  # "Precio con IVA", "Precio por envase"
    mejor = 0
    for sinonimo, peso in SINONIMOS[campo].items():
        if encabezado == sinonimo:
            mejor = max(mejor, peso + 2)
        elif tiene_palabra(encabezado, sinonimo):
            mejor = max(mejor, peso)
    if campo == "precio" and mejor:
        mejor -= max(
            (
                pena
                for palabra, pena, _ in PRECIOS_SECUNDARIOS
                if tiene_palabra(encabezado, palabra)
            ),
            default=0,
        )
    return max(mejor, 0)


def es_titulo_de_precio(encabezado: str) -> bool:
    """Tiene palabras de precio, aunque sea uno que no se elige (anterior, con descuento)."""
    return any(
        tiene_palabra(encabezado, palabra) for palabra in PALABRAS_DE_PRECIO
    ) or encabezado in ("p c desc",)
