"""Sugerencia de la fila de encabezado y de la columna de cada dato, y filtro de filas.

- `palabras.py`: las tablas de palabras de cada campo (agregar un sinónimo es una línea).
- `encabezado.py`: en qué fila está el encabezado, partido en varias filas o no.
- `columnas.py`: qué columna trae cada dato, por su título y por sus valores.
- `filtro.py`: al leer, qué filas no son artículos (sub-encabezados, otras tablas, títulos).
"""

from .columnas import Sugerencia, sugerir_mapeo
from .encabezado import detectar_fila_encabezado, encabezado_combinado, huella_encabezado
from .filtro import FiltroDeFilas
from .palabras import normalizar_encabezado

__all__ = [
    "FiltroDeFilas",
    "Sugerencia",
    "detectar_fila_encabezado",
    "encabezado_combinado",
    "huella_encabezado",
    "normalizar_encabezado",
    "sugerir_mapeo",
]
