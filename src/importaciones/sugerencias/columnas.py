"""Qué columna trae cada dato: primero por el encabezado, después por los datos.

Cada columna propuesta por su título se confirma con sus valores (una "Marca"
llena de EAN no es la marca). Lo que no se encuentra por título se deduce de los
datos: la columna numérica como precio, la de textos largos como descripción, la
de 13 dígitos como código de barras, la de textos cortos repetidos como marca.
"""

import re
from dataclasses import dataclass, field

from ..campos import CAMPOS, CAMPOS_REQUERIDOS
from ..lectores import Celda, indice_columna, letra_columna
from ..normalizacion import normalizar_codigo
from .encabezado import detectar_fila_encabezado, encabezado_combinado, es_numero, vacia
from .palabras import (
    NO_ES_MARCA,
    PALABRAS_DE_DESCUENTO,
    PRECIOS_SECUNDARIOS,
    es_titulo_de_precio,
    normalizar_encabezado,
    puntaje,
    tiene_palabra,
)

_EAN = re.compile(r"^\d{12,13}$")
_PARECE_CODIGO = re.compile(r"^[\w./#-]{1,24}$")


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


class ValoresPorColumna:
    """Los valores de cada columna debajo del encabezado, para confirmar o deducir campos."""

    def __init__(self, datos: list[list[Celda]]) -> None:
        self.llenas = [fila for fila in datos if any(not vacia(c) for c in fila)]
        self.ancho = max((len(fila) for fila in datos), default=0)

    def valores(self, indice: int) -> list[Celda]:
        return [
            fila[indice] for fila in self.llenas if indice < len(fila) and not vacia(fila[indice])
        ]

    def proporcion_numerica(self, indice: int) -> float:
        if not self.llenas:
            return 0.0
        return sum(es_numero(v) for v in self.valores(indice)) / len(self.llenas)

    def numericos(self, indice: int) -> int:
        return sum(es_numero(v) for v in self.valores(indice))

    def largo_medio(self, indice: int) -> float:
        if not self.llenas:
            return 0.0
        textos = [v for v in self.valores(indice) if isinstance(v, str) and not es_numero(v)]
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
    columnas = ValoresPorColumna(datos)
    usadas: set[int] = set()
    titulos: dict[str, int] = {}

    # Por encabezado: asignar primero los pares (campo, columna) de mayor puntaje.
    candidatos = sorted(
        (
            (puntaje(campo, texto), -indice, campo, indice)
            for campo in CAMPOS
            for indice, texto in enumerate(encabezado)
        ),
        reverse=True,
    )
    for puntos, _orden, campo, indice in candidatos:
        if puntos == 0 or campo in sugerencia.columnas or indice in usadas:
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
    columnas: ValoresPorColumna, encabezado: list[str], campo: str, indice: int, usadas: set[int]
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
        if normalizado and normalizado != elegida_norm and es_titulo_de_precio(normalizado)
    ]
    if not otras:
        return
    razones = []
    for _texto, normalizado in otras:
        if tiene_palabra(normalizado, "anterior"):
            razones.append("la vigente")
        elif any(tiene_palabra(normalizado, p) for p in PALABRAS_DE_DESCUENTO):
            razones.append("el precio sin descuento")
        else:
            razones.extend(
                razon
                for palabra, _pena, razon in PRECIOS_SECUNDARIOS
                if tiene_palabra(normalizado, palabra) and not tiene_palabra(elegida_norm, palabra)
            )
    razon = razones[0] if razones else "la de encabezado más parecido a «precio de lista»"
    nombres = ", ".join(_visible(texto) for texto, _ in otras[:3])
    if len(otras) > 3:
        nombres += f" y {len(otras) - 3} más"
    sugerencia.motivos["precio"] = (
        f"«{_visible(elegida)}»: hay otras columnas de precio ({nombres}); se eligió {razon}. "
        "Si la lista vale por otra, elegila."
    )


def _precio_por_datos(
    columnas: ValoresPorColumna, libres: list[int], _encabezado: list[str]
) -> int | None:
    numericas = [(columnas.proporcion_numerica(i), -i, i) for i in libres]
    numericas = [n for n in numericas if n[0] >= 0.5]
    if not numericas:
        return None
    # La última columna numérica suele ser el precio (el código va primero).
    return max(numericas, key=lambda n: (round(n[0], 1), -n[1]))[2]


def _barras_por_datos(
    columnas: ValoresPorColumna, libres: list[int], _encabezado: list[str]
) -> int | None:
    for indice in libres:
        llena = len(columnas.valores(indice)) >= 0.5 * len(columnas.llenas)
        if llena and columnas.proporcion_ean(indice) >= 0.8:
            return indice
    return None


def _descripcion_por_datos(
    columnas: ValoresPorColumna, libres: list[int], _encabezado: list[str]
) -> int | None:
    textos = [(columnas.largo_medio(i), i) for i in libres]
    return max(textos)[1] if textos and max(textos)[0] >= 8 else None


def _codigo_por_datos(
    columnas: ValoresPorColumna, libres: list[int], _encabezado: list[str]
) -> int | None:
    # Con menos de 5 filas cualquier columna parece de valores únicos.
    if len(columnas.llenas) < 5:
        return None
    for indice in libres:
        vistos = [normalizar_codigo(v) for v in columnas.valores(indice)]
        if (
            len(vistos) >= 0.8 * len(columnas.llenas)
            and len(set(vistos)) == len(vistos)
            and sum(bool(_PARECE_CODIGO.match(v)) for v in vistos) >= 0.9 * len(vistos)
        ):
            return indice
    return None


def _marca_por_datos(
    columnas: ValoresPorColumna, libres: list[int], encabezado: list[str]
) -> int | None:
    for indice in libres:
        titulo = encabezado[indice] if indice < len(encabezado) else ""
        if any(puntaje(campo, titulo) for campo in CAMPOS) or any(
            palabra in titulo for palabra in NO_ES_MARCA
        ):
            continue
        valores = [str(v).strip() for v in columnas.valores(indice) if isinstance(v, str)]
        distintos = set(valores)
        if (
            len(valores) >= 0.5 * len(columnas.llenas)
            and 3 <= len(distintos) <= 0.3 * len(valores)
            and all(3 <= len(v) <= 30 and not any(ch.isdigit() for ch in v) for v in distintos)
        ):
            return indice
    return None


# En este orden: cada campo deducido deja su columna fuera de los siguientes.
_POR_DATOS = (
    ("precio", _precio_por_datos, "la columna con más valores numéricos"),
    ("codigo_barras", _barras_por_datos, "valores de 12 o 13 dígitos (EAN)"),
    ("descripcion", _descripcion_por_datos, "la columna con los textos más largos"),
    ("codigo", _codigo_por_datos, "la primera columna con valores únicos"),
    ("marca", _marca_por_datos, "textos cortos que se repiten (como una marca)"),
)


def _sugerir_por_datos(
    sugerencia: Sugerencia, columnas: ValoresPorColumna, encabezado: list[str], usadas: set[int]
) -> None:
    """Los campos que el encabezado no nombró, deducidos de los valores de las columnas libres."""
    if not columnas.llenas:
        return
    libres = [i for i in range(columnas.ancho) if i not in usadas]
    for campo, deducir, motivo in _POR_DATOS:
        if campo in sugerencia.columnas:
            continue
        indice = deducir(columnas, libres, encabezado)
        if indice is not None:
            sugerencia.columnas[campo] = letra_columna(indice)
            sugerencia.motivos[campo] = motivo
            libres.remove(indice)


def _descripciones_identifican(sugerencia: Sugerencia, columnas: ValoresPorColumna) -> bool:
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
        and es_numero(fila[indice_precio])
        and not vacia(fila[indice_descripcion])
    ]
    if len(descripciones) < 3:
        return False
    con_palabras = sum(sum(ch.isalpha() for ch in d) >= 3 for d in descripciones)
    return len(set(descripciones)) >= 0.8 * len(descripciones) and con_palabras >= 0.9 * len(
        descripciones
    )


def _explicar_faltantes(sugerencia: Sugerencia, columnas: ValoresPorColumna) -> None:
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
