"""Sugerencia de la fila de encabezado y de la columna de cada dato.

Primero por las palabras del encabezado ("Cód.", "P. Lista", "EAN"…), que
pueden estar partidas en dos o tres filas ("ARTÍ-" / "CULO"); cada columna
propuesta así se confirma con los datos (una "Marca" llena de EAN no es la
marca). Lo que no se encuentra por encabezado se deduce de los datos: la
columna numérica como precio, la de textos largos como descripción, la de
13 dígitos como código de barras, la de textos cortos repetidos como marca.

`FiltroDeFilas` usa lo mismo al leer: reconoce sub-encabezados repetidos,
tablas con otro formato debajo de la lista y títulos en la columna del código.
"""

import hashlib
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

from .campos import CAMPOS, CAMPOS_REQUERIDOS
from .lectores import Celda, indice_columna, letra_columna
from .normalizacion import ValorInvalido, moneda_de_palabra, normalizar_codigo, parsear_numero

FILAS_A_EXPLORAR = 40
# Un encabezado partido ocupa a lo sumo 3 filas (FerriPlast: CANT / X / CJ).
FILAS_POR_ENCABEZADO = 3
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
_EAN = re.compile(r"^\d{12,13}$")
_PARECE_CODIGO = re.compile(r"^[\w./#-]{1,24}$")


def normalizar_encabezado(valor: Celda) -> str:
    texto = unicodedata.normalize("NFKD", str(valor or "")).encode("ascii", "ignore").decode()
    texto = re.sub(r"[^a-z0-9%]+", " ", texto.lower().replace("-", ""))
    return " ".join(texto.split())


def huella_encabezado(celdas: list[Celda]) -> str:
    """Identifica un formato de planilla por su encabezado, sin importar la hoja."""
    texto = "|".join(normalizar_encabezado(celda) for celda in celdas).rstrip("|")
    return hashlib.sha256(texto.encode()).hexdigest()[:32] if texto.strip("|") else ""


def _tiene_palabra(encabezado: str, palabra: str) -> bool:
    return (" " in palabra and palabra in encabezado) or palabra in encabezado.split()


def _puntaje(campo: str, encabezado: str) -> int:
    if not encabezado or len(encabezado) > LARGO_MAXIMO_ENCABEZADO:
        return 0
    if campo == "precio" and any(_tiene_palabra(encabezado, p) for p in NO_ES_PRECIO):
        return 0
    if campo in ("iva", "bulto") and _tiene_palabra(encabezado, "precio"):
        return 0  # "Precio con IVA", "Precio por envase"
    mejor = 0
    for sinonimo, peso in SINONIMOS[campo].items():
        if encabezado == sinonimo:
            mejor = max(mejor, peso + 2)
        elif _tiene_palabra(encabezado, sinonimo):
            mejor = max(mejor, peso)
    if campo == "precio" and mejor:
        mejor -= max(
            (
                pena
                for palabra, pena, _ in PRECIOS_SECUNDARIOS
                if _tiene_palabra(encabezado, palabra)
            ),
            default=0,
        )
    return max(mejor, 0)


def _es_precio_por_encabezado(encabezado: str) -> bool:
    """Tiene palabras de precio, aunque sea uno que no se elige (anterior, con descuento)."""
    return any(
        _tiene_palabra(encabezado, palabra)
        for palabra in ("precio", "price", "p venta", "p lista", "costo", "publico", "pvp", "venta")
    ) or encabezado in ("p c desc",)


@dataclass
class Sugerencia:
    fila_encabezado: int
    columnas: dict[str, str] = field(default_factory=dict)
    motivos: dict[str, str] = field(default_factory=dict)
    # La lista no trae códigos: cada artículo se identifica por su descripción.
    sin_codigo: bool = False

    @property
    def completa(self) -> bool:
        return all(
            self.columnas.get(campo) or (campo == "codigo" and self.sin_codigo)
            for campo in CAMPOS_REQUERIDOS
        )

    def mapeo(self) -> dict:
        return {
            "fila_encabezado": self.fila_encabezado,
            "columnas": dict(self.columnas),
            "sin_codigo": self.sin_codigo,
        }


# Forma de algo que parsear_numero podría aceptar: signo, moneda, dígitos y separadores.
_FORMA_NUMERICA = re.compile(
    r"^[\s$€+\-]*(?:u\$s|us\$|u\$d|usd|eur|ars)?[\s$€+\-]*\d[\d\s.,]*[\s$€]*"
    r"(?:u\$s|us\$|u\$d|usd|eur|ars)?[\s$€]*$",
    re.I,
)


def _es_numero(valor: Celda) -> bool:
    if isinstance(valor, bool) or valor in (None, ""):
        return False
    # Se corre por cada celda de cada fila: descartar un texto sin forma de número es
    # mucho más barato que dejar que parsear_numero levante la excepción.
    if isinstance(valor, str) and not _FORMA_NUMERICA.match(valor):
        return False
    try:
        parsear_numero(valor)
    except ValorInvalido:
        return False
    return True


def _vacia(valor: Celda) -> bool:
    return valor is None or (isinstance(valor, str) and not valor.strip())


def _es_fila_de_titulos(fila: list[Celda], numeros_permitidos: float = 0) -> bool:
    """Sólo textos cortos (a lo sumo esa proporción de números sueltos, como un 0.1)."""
    llenas = textos = 0
    for celda in fila:
        if _vacia(celda):
            continue
        llenas += 1
        if (
            isinstance(celda, str)
            and len(celda.strip()) <= LARGO_MAXIMO_ENCABEZADO
            and not _es_numero(celda)
        ):
            textos += 1
        elif not numeros_permitidos:
            return False  # una fila de datos: se sabe en la primera celda que no es título
    return bool(textos) and llenas - textos <= numeros_permitidos * llenas


def _continua_encabezado(fila: list[Celda], textos: list[str]) -> bool:
    """¿La fila completa los títulos de arriba? (y no es un título de sección suelto)."""
    if not _es_fila_de_titulos(fila):
        return False
    llenas = [(i, str(c).strip()) for i, c in enumerate(fila) if not _vacia(c)]
    if len(llenas) == 1 and len(llenas[0][1]) > 10:
        return False
    return any(i < len(textos) and textos[i] for i, _ in llenas)


def _unir(arriba: str, abajo: str) -> str:
    arriba, abajo = arriba.strip(), abajo.strip()
    if not arriba or not abajo:
        return arriba or abajo
    # "ARTÍ-" / "CULO" es una palabra cortada; "PRECIO" / "ACTUAL", dos palabras.
    return arriba[:-1] + abajo if arriba.endswith("-") else f"{arriba} {abajo}"


def encabezado_combinado(filas: list[list[Celda]], numero: int) -> tuple[list[str], int]:
    """Los títulos de cada columna desde la fila `numero` (1-based), y cuántas filas ocupan.

    Las filas siguientes se suman mientras sean sólo títulos cortos y completen
    columnas que ya tienen título arriba (un encabezado partido en 2 o 3 filas).
    """
    base = filas[numero - 1]
    textos = [str(c).strip() if isinstance(c, str) else "" for c in base]
    alto = 1
    for siguiente in filas[numero : numero + FILAS_POR_ENCABEZADO - 1]:
        if not _continua_encabezado(siguiente, textos):
            break
        textos.extend([""] * (len(siguiente) - len(textos)))
        for i, celda in enumerate(siguiente):
            if isinstance(celda, str) and celda.strip():
                # Una sangría larga es un título de sección, no parte del encabezado.
                if len(celda) - len(celda.lstrip()) >= 4:
                    continue
                textos[i] = _unir(textos[i], celda)
        alto += 1
    return textos, alto


def _campos_de_fila(textos: list[str]) -> set[str]:
    normalizados = [normalizar_encabezado(t) for t in textos]
    return {campo for campo in CAMPOS for texto in normalizados if _puntaje(campo, texto) >= 5}


def _puntaje_fila(textos: list[str]) -> int:
    campos = _campos_de_fila(textos)
    return len(campos) + (2 if {"codigo", "precio"} <= campos else 0)


def detectar_fila_encabezado(filas: list[list[Celda]]) -> int:
    """La fila (1-based) cuyas celdas más se parecen a nombres de columna."""
    mejor_fila, mejor_puntaje = 1, (0, 0)
    for numero in range(1, min(len(filas), FILAS_A_EXPLORAR) + 1):
        fila = filas[numero - 1]
        if not _es_fila_de_titulos(fila, numeros_permitidos=1 / 3):
            continue
        textos = [str(c) if isinstance(c, str) else "" for c in fila]
        # Con el mismo puntaje gana la fila que ya por sí sola es encabezado (no el
        # banner de arriba, que sólo suma porque se le pegan los títulos de abajo).
        puntaje = (_puntaje_fila(encabezado_combinado(filas, numero)[0]), _puntaje_fila(textos))
        if puntaje > mejor_puntaje:
            mejor_fila, mejor_puntaje = numero, puntaje
    return mejor_fila


class _Columnas:
    """Los valores de cada columna debajo del encabezado, para confirmar o deducir campos."""

    def __init__(self, datos: list[list[Celda]]) -> None:
        self.llenas = [fila for fila in datos if any(not _vacia(c) for c in fila)]
        self.ancho = max((len(fila) for fila in datos), default=0)

    def valores(self, indice: int) -> list[Celda]:
        return [
            fila[indice] for fila in self.llenas if indice < len(fila) and not _vacia(fila[indice])
        ]

    def proporcion_numerica(self, indice: int) -> float:
        if not self.llenas:
            return 0.0
        return sum(_es_numero(v) for v in self.valores(indice)) / len(self.llenas)

    def numericos(self, indice: int) -> int:
        return sum(_es_numero(v) for v in self.valores(indice))

    def largo_medio(self, indice: int) -> float:
        if not self.llenas:
            return 0.0
        textos = [v for v in self.valores(indice) if isinstance(v, str) and not _es_numero(v)]
        return sum(len(t.strip()) for t in textos) / len(self.llenas)

    def proporcion_ean(self, indice: int) -> float:
        valores = self.valores(indice)
        if not valores:
            return 0.0
        return sum(bool(_EAN.match(normalizar_codigo(v))) for v in valores) / len(valores)

    def plausible(self, campo: str, indice: int) -> bool:
        """¿Los datos de la columna pueden ser de este campo? Sin datos (vista corta), sí."""
        valores = self.valores(indice)
        if not valores:
            return campo not in ("precio", "codigo", "descripcion") or not self.llenas
        if campo == "precio":
            return self.numericos(indice) >= max(1, len(valores) // 3)
        if campo == "marca":
            return self.proporcion_ean(indice) < 0.5 and self.numericos(indice) < len(valores) / 2
        if campo == "codigo_barras":
            return self.proporcion_ean(indice) >= 0.5
        return True


def sugerir_mapeo(filas: list[list[Celda]]) -> Sugerencia:
    fila_encabezado = detectar_fila_encabezado(filas)
    textos, alto = encabezado_combinado(filas, fila_encabezado) if filas else ([], 1)
    encabezado = [normalizar_encabezado(t) for t in textos]
    sugerencia = Sugerencia(fila_encabezado)
    datos = filas[fila_encabezado - 1 + alto :]
    columnas = _Columnas(datos)
    usadas: set[int] = set()
    titulos: dict[str, int] = {}

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
        columna = _columna_con_datos(columnas, encabezado, campo, indice, usadas)
        if columna is None:
            continue
        sugerencia.columnas[campo] = letra_columna(columna)
        sugerencia.motivos[campo] = f"encabezado «{_visible(textos[indice])}»"
        if columna != indice:
            sugerencia.motivos[campo] += (
                f" (en {letra_columna(indice)}; los valores están en {letra_columna(columna)}, "
                "celdas combinadas)"
            )
        usadas.add(columna)
        titulos[campo] = indice
    if "precio" in titulos:
        _explicar_precio(sugerencia, textos, encabezado, titulos["precio"])

    _sugerir_por_datos(sugerencia, columnas, encabezado, usadas)
    _explicar_faltantes(sugerencia, columnas)
    return sugerencia


def _visible(texto: str) -> str:
    return " ".join(texto.split())


def _columna_con_datos(
    columnas: _Columnas, encabezado: list[str], campo: str, indice: int, usadas: set[int]
) -> int | None:
    """La columna del título si sus datos cuadran; si no, la vecina sin título que sí cuadra.

    En planillas con celdas combinadas (Crystal Reports) el título queda una
    columna corrido respecto de los valores.
    """
    if columnas.plausible(campo, indice) and (campo != "precio" or columnas.valores(indice)):
        return indice
    if columnas.valores(indice) or not columnas.llenas:
        return indice if columnas.plausible(campo, indice) else None
    for vecina in (indice - 1, indice + 1, indice - 2, indice + 2):
        sin_titulo = vecina >= len(encabezado) or not encabezado[vecina]
        if (
            0 <= vecina < columnas.ancho
            and vecina not in usadas
            and sin_titulo
            and columnas.valores(vecina)
            and columnas.plausible(campo, vecina)
        ):
            return vecina
    return None


def _explicar_precio(
    sugerencia: Sugerencia, textos: list[str], encabezado: list[str], indice: int
) -> None:
    """Si hay varias columnas de precio, decir cuál se eligió y por qué."""
    elegida = textos[indice]
    elegida_norm = normalizar_encabezado(elegida)
    otras = [
        (texto, normalizado)
        for texto, normalizado in zip(textos, encabezado, strict=False)
        if normalizado and normalizado != elegida_norm and _es_precio_por_encabezado(normalizado)
    ]
    if not otras:
        return
    razones = []
    for _texto, normalizado in otras:
        if _tiene_palabra(normalizado, "anterior"):
            razones.append("la vigente")
        elif any(_tiene_palabra(normalizado, p) for p in ("desc", "descuento", "dscto", "oferta")):
            razones.append("el precio sin descuento")
        else:
            razones.extend(
                razon
                for palabra, _pena, razon in PRECIOS_SECUNDARIOS
                if _tiene_palabra(normalizado, palabra)
                and not _tiene_palabra(elegida_norm, palabra)
            )
    razon = razones[0] if razones else "la de encabezado más parecido a «precio de lista»"
    nombres = ", ".join(_visible(texto) for texto, _ in otras[:3])
    if len(otras) > 3:
        nombres += f" y {len(otras) - 3} más"
    sugerencia.motivos["precio"] = (
        f"«{_visible(elegida)}»: hay otras columnas de precio ({nombres}); se eligió {razon}. "
        "Si la lista vale por otra, elegila."
    )


def _sugerir_por_datos(
    sugerencia: Sugerencia, columnas: _Columnas, encabezado: list[str], usadas: set[int]
) -> None:
    libres = [i for i in range(columnas.ancho) if i not in usadas]
    if not columnas.llenas:
        return

    def sin_titulo_conocido(indice: int) -> bool:
        return indice >= len(encabezado) or not any(
            _puntaje(campo, encabezado[indice]) for campo in CAMPOS
        )

    if "precio" not in sugerencia.columnas:
        numericas = [(columnas.proporcion_numerica(i), -i, i) for i in libres]
        numericas = [n for n in numericas if n[0] >= 0.5]
        if numericas:
            # La última columna numérica suele ser el precio (el código va primero).
            indice = max(numericas, key=lambda n: (round(n[0], 1), -n[1]))[2]
            sugerencia.columnas["precio"] = letra_columna(indice)
            sugerencia.motivos["precio"] = "la columna con más valores numéricos"
            libres.remove(indice)
    if "codigo_barras" not in sugerencia.columnas:
        for indice in libres:
            if columnas.proporcion_ean(indice) >= 0.8 and len(
                columnas.valores(indice)
            ) >= 0.5 * len(columnas.llenas):
                sugerencia.columnas["codigo_barras"] = letra_columna(indice)
                sugerencia.motivos["codigo_barras"] = "valores de 12 o 13 dígitos (EAN)"
                libres.remove(indice)
                break
    if "descripcion" not in sugerencia.columnas:
        textos = [(columnas.largo_medio(i), i) for i in libres]
        if textos and max(textos)[0] >= 8:
            indice = max(textos)[1]
            sugerencia.columnas["descripcion"] = letra_columna(indice)
            sugerencia.motivos["descripcion"] = "la columna con los textos más largos"
            libres.remove(indice)
    if "codigo" not in sugerencia.columnas:
        for indice in libres:
            vistos = [normalizar_codigo(v) for v in columnas.valores(indice)]
            # Con menos de 5 filas cualquier columna parece de valores únicos.
            if (
                len(columnas.llenas) >= 5
                and len(vistos) >= 0.8 * len(columnas.llenas)
                and len(set(vistos)) == len(vistos)
                and sum(bool(_PARECE_CODIGO.match(v)) for v in vistos) >= 0.9 * len(vistos)
            ):
                sugerencia.columnas["codigo"] = letra_columna(indice)
                sugerencia.motivos["codigo"] = "la primera columna con valores únicos"
                libres.remove(indice)
                break
    if "marca" not in sugerencia.columnas:
        for indice in libres:
            if not sin_titulo_conocido(indice) or (
                indice < len(encabezado)
                and any(palabra in encabezado[indice] for palabra in NO_ES_MARCA)
            ):
                continue
            valores = [str(v).strip() for v in columnas.valores(indice) if isinstance(v, str)]
            distintos = set(valores)
            if (
                len(valores) >= 0.5 * len(columnas.llenas)
                and 3 <= len(distintos) <= 0.3 * len(valores)
                and all(3 <= len(v) <= 30 and not any(ch.isdigit() for ch in v) for v in distintos)
            ):
                sugerencia.columnas["marca"] = letra_columna(indice)
                sugerencia.motivos["marca"] = "textos cortos que se repiten (como una marca)"
                break


def _descripciones_identifican(sugerencia: Sugerencia, columnas: _Columnas) -> bool:
    """¿Cada artículo se puede reconocer por su descripción? Casi todas distintas y con palabras.

    Una planilla armada para la vista (matrices de graduaciones, "1.56", "+8,00 a -12,00"
    repetidos en cada bloque) no tiene descripciones que identifiquen: ahí decide una persona.
    """
    indice_descripcion = indice_columna(sugerencia.columnas["descripcion"])
    indice_precio = indice_columna(sugerencia.columnas["precio"])
    descripciones = [
        normalizar_encabezado(fila[indice_descripcion])
        for fila in columnas.llenas
        if max(indice_descripcion, indice_precio) < len(fila)
        and _es_numero(fila[indice_precio])
        and not _vacia(fila[indice_descripcion])
    ]
    if len(descripciones) < 3:
        return False
    con_palabras = sum(sum(ch.isalpha() for ch in d) >= 3 for d in descripciones)
    return len(set(descripciones)) >= 0.8 * len(descripciones) and con_palabras >= 0.9 * len(
        descripciones
    )


def _explicar_faltantes(sugerencia: Sugerencia, columnas: _Columnas) -> None:
    completa_sin_codigo = {"descripcion", "precio"} <= set(sugerencia.columnas)
    if (
        "codigo" not in sugerencia.columnas
        and completa_sin_codigo
        and _descripciones_identifican(sugerencia, columnas)
    ):
        # Vinotecas, ópticas y distribuidores chicos mandan sólo descripción y precio.
        sugerencia.sin_codigo = True
        sugerencia.motivos["codigo"] = (
            "La lista no trae una columna de código: cada artículo se identifica por su "
            "descripción (sin mayúsculas, acentos ni espacios de más), así la lista del mes "
            "que viene actualiza los mismos artículos. Si hay una columna de código, elegila."
        )
    elif "codigo" not in sugerencia.columnas:
        sugerencia.motivos["codigo"] = (
            "No se encontró una columna de código: elegí la columna que identifica cada "
            "artículo, o marcá «sin columna de código» si la lista no los trae (cada artículo "
            "se identificará por su descripción)."
        )
    if "precio" not in sugerencia.columnas:
        sugerencia.motivos["precio"] = (
            "No se encontró una columna de precios con un título reconocible ni con valores "
            "numéricos en la mayoría de las filas: elegila a mano."
        )
    if "descripcion" not in sugerencia.columnas:
        sugerencia.motivos["descripcion"] = "No se encontró la columna de descripción: elegila."


# --- Filtro de filas al leer ----------------------------------------------------------


class FiltroDeFilas:
    """Decide qué filas de datos no son artículos y por qué (el motivo se cuenta por archivo).

    - Sub-encabezados repetidos con el mismo formato: se saltean y la lista sigue.
    - Una fila de títulos con otro formato (otra tabla debajo, exhibidores,
      totales): se saltean ella y las filas siguientes hasta que vuelva el
      encabezado de la lista.
    - En una columna de códigos que casi siempre tienen números, un "código"
      sin ningún dígito es un título, un total, una nota ("Mínimo de compra:") o
      una fila de otro formato pegada debajo (la lista vieja de FerriPlast, con
      "UNIDAD" o "ROLLO" donde iba el código).
    - Una columna de moneda por fila: dice en qué moneda está el precio de cada fila.
    """

    def __init__(
        self,
        encabezado: list[Celda],
        columnas: dict[str, int],
        primeras: list[list[Celda]],
    ) -> None:
        # Las filas que completan un encabezado partido ("ARTÍ-" / "CULO") son encabezado.
        textos, alto = encabezado_combinado([list(encabezado), *primeras[:2]], 1)
        self.continuacion = alto - 1
        self.titulos = textos
        self.encabezado = [normalizar_encabezado(c) for c in textos]
        self.columnas = columnas
        self.en_otra_tabla = False
        indice_codigo = columnas.get("codigo")
        self.titulo_codigo = (
            self.encabezado[indice_codigo]
            if indice_codigo is not None and indice_codigo < len(self.encabezado)
            else ""
        )
        # Sólo las filas con código y precio numérico: los títulos de sección sueltos no votan.
        indice_precio = columnas.get("precio")
        articulos = [
            fila
            for fila in primeras
            if indice_codigo is not None
            and indice_precio is not None
            and max(indice_codigo, indice_precio) < len(fila)
            and _es_numero(fila[indice_precio])
            and normalizar_codigo(fila[indice_codigo])
        ]
        codigos = [normalizar_codigo(fila[indice_codigo]) for fila in articulos]
        con_digitos = sum(any(ch.isdigit() for ch in c) for c in codigos)
        self.codigos_numericos = len(codigos) >= 20 and con_digitos >= 0.8 * len(codigos)
        # Columnas que los artículos dejan siempre vacías: llenarlas es otro formato.
        ancho = max((len(fila) for fila in articulos), default=0)
        self.columnas_vacias = {
            i for i in range(ancho) if all(i >= len(f) or _vacia(f[i]) for f in articulos)
        }
        self.columna_moneda = self._columna_moneda(primeras)

    def _columna_moneda(self, primeras: list[list[Celda]]) -> int | None:
        conteo: Counter[int] = Counter()
        for fila in primeras:
            for i, celda in enumerate(fila):
                if isinstance(celda, str) and _es_moneda(celda):
                    conteo[i] += 1
        if not conteo:
            return None
        indice, cantidad = conteo.most_common(1)[0]
        return indice if cantidad >= 0.5 * len(primeras) else None

    def motivo(self, fila: list[Celda], con_numero: bool = False) -> str | None:
        """Por qué la fila no es un artículo, o None. `con_numero`: ya se sabe que tiene un
        número (el precio), así que no es una fila de títulos."""
        if self.continuacion:
            self.continuacion -= 1
            return "encabezado (continuación)"
        if not con_numero and _es_fila_de_titulos(fila) and self._parece_encabezado(fila):
            if self._mismo_formato(fila):
                self.en_otra_tabla = False
                return "encabezado repetido"
            self.en_otra_tabla = True
            return "tabla con otro formato (otros títulos de columna)"
        if self.en_otra_tabla:
            return "tabla con otro formato (otros títulos de columna)"
        indice = self.columnas.get("codigo")
        if self.codigos_numericos and indice is not None and indice < len(fila):
            codigo = normalizar_codigo(fila[indice])
            # Un código sin dígitos puede ser legítimo (TONELADAPULPA); con espacios o
            # ":" es un título o una nota, y en columnas que la lista deja vacías, otro formato.
            if (
                codigo
                and not any(ch.isdigit() for ch in codigo)
                and (
                    " " in codigo
                    or ":" in codigo
                    or any(not _vacia(c) and i in self.columnas_vacias for i, c in enumerate(fila))
                )
            ):
                return "código sin números (título, total, nota o fila de otro formato)"
        return None

    def moneda(self, fila: list[Celda]) -> str | None:
        """La moneda de la fila según la columna de moneda de la lista, si tiene una."""
        if self.columna_moneda is None or self.columna_moneda >= len(fila):
            return None
        valor = fila[self.columna_moneda]
        return moneda_de_palabra(valor) if isinstance(valor, str) else None

    def _celda(self, fila: list[Celda], campo: str) -> str:
        indice = self.columnas.get(campo)
        if indice is None or indice >= len(fila):
            return ""
        return normalizar_encabezado(fila[indice])

    def _parece_encabezado(self, fila: list[Celda]) -> bool:
        llenas = [normalizar_encabezado(c) for c in fila if not _vacia(c)]
        if len(llenas) < 2:
            return False
        if self.titulo_codigo and self._celda(fila, "codigo") == self.titulo_codigo:
            return True
        if _puntaje("precio", self._celda(fila, "precio")) >= 5:
            return True
        palabras = sum(
            1
            for texto in llenas
            if any(_puntaje(campo, texto) >= 5 for campo in CAMPOS)
            or texto in OTRAS_PALABRAS_DE_ENCABEZADO
        )
        return palabras >= 2

    def _mismo_formato(self, fila: list[Celda]) -> bool:
        if not self.titulo_codigo or self._celda(fila, "codigo") != self.titulo_codigo:
            return False
        # Títulos en columnas que el encabezado de la lista deja vacías: es otra tabla.
        return all(
            _vacia(celda) or (i < len(self.encabezado) and self.encabezado[i])
            for i, celda in enumerate(fila)
        )


def _es_moneda(texto: str) -> bool:
    return bool(moneda_de_palabra(texto)) or texto.strip().lower() in OTRAS_MONEDAS
