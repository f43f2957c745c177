"""XLS: BIFF8 dentro de un contenedor OLE2 (Excel 97–2003) con calamine; BIFF2–BIFF5 "crudo",
sin contenedor (lo exportan sistemas viejos y calamine no lo abre), con xlrd."""

import io
import struct
from collections.abc import Iterator
from typing import IO

import xlrd

from . import calamine
from .celdas import Celda, ErrorPlanilla, HojaPrevia
from .deteccion import es_biff_crudo


def hojas(archivo: IO[bytes], max_filas: int) -> list[HojaPrevia]:
    if not _biff_crudo(archivo):
        return calamine.hojas(archivo, max_filas)
    libro = _abrir_xlrd(archivo)
    return [
        HojaPrevia(
            hoja.name,
            [_fila_xlrd(libro, hoja, r) for r in range(min(hoja.nrows, max_filas))],
            hoja.nrows,
        )
        for hoja in libro.sheets()
    ]


def filas(archivo: IO[bytes], hoja: str) -> Iterator[tuple[int, list[Celda]]]:
    if not _biff_crudo(archivo):
        yield from calamine.filas(archivo, hoja)
        return
    libro = _abrir_xlrd(archivo)
    if hoja not in libro.sheet_names():
        raise ErrorPlanilla(f"La planilla no tiene una hoja llamada «{hoja}».")
    datos = libro.sheet_by_name(hoja)
    for indice in range(datos.nrows):
        yield indice + 1, _fila_xlrd(libro, datos, indice)


def _biff_crudo(archivo: IO[bytes]) -> bool:
    archivo.seek(0)
    cabecera = archivo.read(8)
    archivo.seek(0)
    return es_biff_crudo(cabecera)


def _abrir_xlrd(archivo: IO[bytes]) -> xlrd.book.Book:
    archivo.seek(0)
    try:
        # Sin registro CODEPAGE xlrd supone latin-1; las planillas en castellano
        # de esa época son Windows-1252 (€, comillas tipográficas).
        return xlrd.open_workbook(
            file_contents=archivo.read(), encoding_override="cp1252", logfile=io.StringIO()
        )
    except (xlrd.XLRDError, struct.error, IndexError) as error:
        raise ErrorPlanilla(f"No se pudo leer la planilla .xls: está dañada ({error}).") from error
    finally:
        archivo.seek(0)


def _fila_xlrd(libro: xlrd.book.Book, hoja: xlrd.sheet.Sheet, indice: int) -> list[Celda]:
    fila: list[Celda] = []
    for celda in hoja.row(indice):
        # En BIFF4 xlrd marca como texto celdas que traen un float: decide el valor, no ctype.
        if celda.ctype == xlrd.XL_CELL_DATE:
            try:
                fila.append(xlrd.xldate_as_datetime(celda.value, libro.datemode))
            except (xlrd.xldate.XLDateError, OverflowError):
                fila.append(celda.value)
        elif celda.ctype == xlrd.XL_CELL_BOOLEAN:
            fila.append(bool(celda.value))
        elif celda.ctype == xlrd.XL_CELL_ERROR:
            fila.append("")
        else:
            fila.append(celda.value)
    return fila
