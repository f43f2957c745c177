"""Lo que comparten los lectores: el tipo de una celda, la hoja de la vista previa, el error
para la persona que subió el archivo y las letras de columna."""

from dataclasses import dataclass, field
from datetime import date, datetime, time

Celda = str | float | int | bool | date | datetime | time | None

# Ninguna lista de precios tiene más columnas: un ancho mayor (una dimensión A1:XFD9, 16.384
# celdas repetidas de ODS) es formato, no datos, y expandirlo llena la memoria.
COLUMNAS_MAXIMAS = 1024


class ErrorPlanilla(Exception):
    """El archivo no se puede leer; el mensaje es para la persona que lo subió."""


@dataclass
class HojaPrevia:
    nombre: str
    filas: list[list[Celda]] = field(default_factory=list)
    # Cuántas filas tiene la hoja entera (la vista previa lee sólo las primeras), o None si
    # no se sabe sin leerla toda. En un CSV es la cantidad de líneas: una celda entre
    # comillas con saltos de línea la hace contar de más, nunca de menos.
    total_filas: int | None = None

    @property
    def ancho(self) -> int:
        return max((len(fila) for fila in self.filas), default=0)


def letra_columna(indice: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letras = ""
    indice += 1
    while indice:
        indice, resto = divmod(indice - 1, 26)
        letras = chr(65 + resto) + letras
    return letras


def indice_columna(letras: str) -> int:
    """A → 0, AA → 26."""
    indice = 0
    for letra in letras.strip().upper():
        if not "A" <= letra <= "Z":
            raise ValueError(f"Columna inválida: {letras!r}")
        indice = indice * 26 + ord(letra) - 64
    return indice - 1


def etiqueta_local(etiqueta: str) -> str:
    """«{urn:…}row» → «row»: el nombre de un elemento XML sin su espacio de nombres."""
    return etiqueta.rsplit("}", 1)[-1]
