"""python-calamine: lee XLSX, XLS (BIFF8 en OLE2) y ODS en Rust, rápido, pero carga la hoja
entera en memoria. Lo usan los lectores de esos formatos cuando la hoja es chica."""

from collections.abc import Iterator
from typing import IO

import python_calamine

from .celdas import Celda, ErrorPlanilla, HojaPrevia


def hojas(archivo: IO[bytes], max_filas: int) -> list[HojaPrevia]:
    libro = abrir(archivo)
    previas = []
    for nombre in _hojas_de_trabajo(libro):
        hoja = _hoja(libro, nombre)
        # calamine ya cargó la hoja entera: `end` es la última celda con algo (base 0).
        total = hoja.end[0] + 1 if hoja.end else 0
        filas = hoja.to_python(skip_empty_area=False, nrows=max_filas)
        previas.append(HojaPrevia(nombre, filas, total))
    return previas


def filas(archivo: IO[bytes], hoja: str) -> Iterator[tuple[int, list[Celda]]]:
    libro = abrir(archivo)
    if hoja not in libro.sheet_names:
        raise ErrorPlanilla(f"La planilla no tiene una hoja llamada «{hoja}».")
    datos = _hoja(libro, hoja)
    # iter_rows() rellena las filas vacías de arriba pero no las columnas de la izquierda.
    relleno: list[Celda] = [""] * datos.start[1] if datos.start else []
    for numero, fila in enumerate(datos.iter_rows(), start=1):
        yield numero, relleno + fila


def abrir(archivo: IO[bytes]) -> python_calamine.CalamineWorkbook:
    archivo.seek(0)
    try:
        return python_calamine.CalamineWorkbook.from_filelike(archivo)
    except python_calamine.PasswordError as error:
        raise ErrorPlanilla("La planilla está protegida con contraseña.") from error
    except python_calamine.CalamineError as error:
        raise ErrorPlanilla(f"No se pudo leer la planilla: está dañada ({error}).") from error


def abre(archivo: IO[bytes]) -> bool:
    try:
        abrir(archivo)
    except ErrorPlanilla:
        return False
    return True


def _hojas_de_trabajo(libro: python_calamine.CalamineWorkbook) -> list[str]:
    return [
        hoja.name
        for hoja in libro.sheets_metadata
        if hoja.typ == python_calamine.SheetTypeEnum.WorkSheet
    ]


def _hoja(libro: python_calamine.CalamineWorkbook, nombre: str) -> python_calamine.CalamineSheet:
    try:
        return libro.get_sheet_by_name(nombre)
    except python_calamine.CalamineError as error:
        raise ErrorPlanilla(f"No se pudo leer la hoja «{nombre}»: {error}.") from error
