"""Lectura de planillas: un módulo por formato detrás de la misma interfaz.

Cada formato (`xlsx`, `xls`, `ods`, `csv`) tiene:

- `hojas(archivo, max_filas)`: las hojas con sus primeras filas y cuántas tienen, para la
  vista previa, sin leer el archivo entero cuando se puede;
- `filas(archivo, hoja)`: (número de fila 1-based, celdas) de una hoja, en streaming;
  las columnas empiezan en A.

`deteccion` dice el formato por el contenido y rechaza lo peligroso antes de abrirlo.
Todo recibe archivos abiertos (objetos `File` del storage de Django), nunca rutas del
disco, para que el storage se pueda reemplazar por uno compartido.
"""

from collections.abc import Iterator
from typing import IO

from . import csv, ods, xls, xlsx
from .celdas import Celda, ErrorPlanilla, HojaPrevia, indice_columna, letra_columna
from .deteccion import FIRMA_OLE2, FIRMA_ZIP, detectar_formato, verificar_contenedor

__all__ = [
    "FIRMA_OLE2",
    "FIRMA_ZIP",
    "Celda",
    "ErrorPlanilla",
    "HojaPrevia",
    "detectar_formato",
    "filas_estimadas",
    "indice_columna",
    "iterar_filas",
    "leer_vista_previa",
    "letra_columna",
    "verificar_contenedor",
]

LECTORES = {"xlsx": xlsx, "xls": xls, "ods": ods, "csv": csv}


def leer_vista_previa(archivo: IO[bytes], formato: str, max_filas: int = 30) -> list[HojaPrevia]:
    return LECTORES[formato].hojas(archivo, max_filas)


def iterar_filas(archivo: IO[bytes], formato: str, hoja: str) -> Iterator[tuple[int, list[Celda]]]:
    return LECTORES[formato].filas(archivo, hoja)


def filas_estimadas(archivo: IO[bytes], formato: str, hoja: str) -> int | None:
    """Cuántas filas tiene la hoja, sin leerla: para mostrar el avance (puede ser aproximado).
    Sólo XLSX (lo declara) y CSV (se extrapola) lo saben barato."""
    if formato == "xlsx":
        return xlsx.filas_estimadas(archivo, hoja)
    if formato == "csv":
        return csv.filas_estimadas(archivo)
    return None
