"""Qué hojas de un libro importar: la lista del proveedor, no las copias que hace el comercio.

Los libros de trabajo de una ferretería suelen tener la lista del proveedor en una hoja y,
en otras, copias con fórmulas (precio al público, etiquetas, base de datos): los mismos
códigos con otros precios. Importarlas pisaría el precio del proveedor con uno derivado.
Con las primeras filas de cada hoja, tal como se importarían, se reconoce una copia (la
mayoría de sus códigos, o de sus descripciones, están en una hoja anterior: las copias se
arman después, a la derecha), y al confirmar se frena un mismo código con dos precios.
"""

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

# Una hoja es copia de otra si comparten al menos esto de los códigos de la más chica.
PROPORCION_COPIA = 0.5
MINIMO_EN_COMUN = 3
MUESTRA_CONFLICTO = 20

# clave del código → (código como lo escribe el proveedor, precio, descripción normalizada)
Muestra = dict[str, tuple[str, Decimal, str]]


@dataclass
class Conflicto:
    """Dos hojas elegidas que dan otro precio al mismo código."""

    hoja: str
    otra: str
    cantidad: int = 0
    # (código, precio en `hoja`, precio en `otra`), los primeros MUESTRA_CONFLICTO.
    ejemplos: list[tuple[str, Decimal, Decimal]] = field(default_factory=list)


def _comparten(una: set[str], otra: set[str]) -> int:
    """Cuántos comparten, si son la mayoría de la más chica (si no, 0)."""
    comunes = len(una & otra)
    if comunes < MINIMO_EN_COMUN or comunes < PROPORCION_COPIA * min(len(una), len(otra)):
        return 0
    return comunes


def _es_copia(una: Muestra, otra: Muestra) -> bool:
    """Los mismos artículos: por código o, en una copia que perdió el código, por descripción."""
    return bool(
        _comparten(set(una), set(otra))
        or _comparten({v[2] for v in una.values()}, {v[2] for v in otra.values()})
    )


def _mismos_precios(una: Muestra, otra: Muestra) -> bool:
    """Por código; si no comparten ninguno, por descripción."""
    if not set(una) & set(otra):
        una = {v[2]: v for v in una.values()}
        otra = {v[2]: v for v in otra.values()}
    return all(otra[clave][1] == valor[1] for clave, valor in una.items() if clave in otra)


def _sin_sufijo_comun(muestra: Muestra) -> Muestra:
    """Los códigos sin el "/3D" que les agrega el comercio (código completo 37/VAL), si casi
    todos lo llevan: así "LU01/3D" de una hoja derivada es el "LU01" del proveedor."""
    sufijos = Counter(clave.rpartition("/")[2] for clave in muestra if "/" in clave)
    if not sufijos:
        return muestra
    sufijo, cantidad = sufijos.most_common(1)[0]
    if cantidad < 0.8 * len(muestra):
        return muestra
    final = f"/{sufijo}"
    return {clave.removesuffix(final): valor for clave, valor in muestra.items()}


def copias(muestras: dict[str, Muestra]) -> dict[str, str]:
    """Hoja → por qué parece una copia de una hoja anterior del libro.

    La primera de las que tienen los mismos artículos es la del proveedor: las copias del
    comercio (al público, etiquetas, base de datos) se arman después, a su derecha. Los
    precios no alcanzan para decidirlo: una copia puede tener el margen sumado o un
    descuento aplicado.
    """
    avisos: dict[str, str] = {}
    muestras = {nombre: _sin_sufijo_comun(muestra) for nombre, muestra in muestras.items()}
    nombres = list(muestras)
    for i, nombre in enumerate(nombres):
        original = next(
            (
                anterior
                for anterior in nombres[:i]
                if anterior not in avisos and _es_copia(muestras[anterior], muestras[nombre])
            ),
            None,
        )
        if original is None:
            continue
        if _mismos_precios(muestras[nombre], muestras[original]):
            avisos[nombre] = f"repite los códigos y precios de «{original}»"
        else:
            avisos[nombre] = f"parece una copia de «{original}» con otros precios"
    return avisos


def conflictos(muestras: dict[str, Muestra]) -> list[Conflicto]:
    """Cada par de hojas elegidas que tienen códigos en común con precios distintos."""
    encontrados = []
    nombres = list(muestras)
    for i, nombre in enumerate(nombres):
        for otra in nombres[i + 1 :]:
            conflicto = Conflicto(nombre, otra)
            for clave, (codigo, precio, _descripcion) in muestras[nombre].items():
                if clave in muestras[otra] and muestras[otra][clave][1] != precio:
                    conflicto.cantidad += 1
                    if len(conflicto.ejemplos) < MUESTRA_CONFLICTO:
                        conflicto.ejemplos.append((codigo, precio, muestras[otra][clave][1]))
            if conflicto.cantidad:
                encontrados.append(conflicto)
    return encontrados
