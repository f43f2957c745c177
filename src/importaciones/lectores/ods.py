"""ODS (LibreOffice, Google Sheets, pandas): con calamine y, si calamine lo rechaza, con un
lector propio de content.xml en streaming.

pandas escribe `office:value` también en las celdas de texto y calamine no abre esos
archivos; el lector propio toma el texto de los párrafos, como LibreOffice.
"""

import zipfile
from collections.abc import Iterator
from datetime import date, datetime
from typing import IO
from xml.etree.ElementTree import Element, iterparse

from . import calamine
from .celdas import COLUMNAS_MAXIMAS, Celda, ErrorPlanilla, HojaPrevia, etiqueta_local

# Tope de repeticiones de una celda o fila de ODS: un `number-columns-repeated`
# de 16.384 celdas con estilo no es dato, y expandirlo llena la memoria.
REPETICIONES_MAXIMAS = 1000


def hojas(archivo: IO[bytes], max_filas: int) -> list[HojaPrevia]:
    if calamine.abre(archivo):
        return calamine.hojas(archivo, max_filas)
    return _hojas_propias(archivo, max_filas)


def filas(archivo: IO[bytes], hoja: str) -> Iterator[tuple[int, list[Celda]]]:
    if calamine.abre(archivo):
        yield from calamine.filas(archivo, hoja)
    else:
        yield from _filas_propias(archivo, hoja)


_ODS_TABLA = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_ODS_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_ODS_TEXTO = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"


def _ods_atributo(elemento: Element, espacio: str, nombre: str) -> str | None:
    return elemento.get(f"{{{espacio}}}{nombre}")


def _ods_texto(elemento: Element) -> str:
    """Texto visible de un párrafo: <text:s c="3"/> son espacios, <text:tab/> un tab."""
    partes = [elemento.text or ""]
    for hijo in elemento:
        etiqueta = etiqueta_local(hijo.tag)
        if etiqueta == "s":
            partes.append(" " * int(_ods_atributo(hijo, _ODS_TEXTO, "c") or 1))
        elif etiqueta == "tab":
            partes.append("\t")
        elif etiqueta == "line-break":
            partes.append("\n")
        else:
            partes.append(_ods_texto(hijo))
        partes.append(hijo.tail or "")
    return "".join(partes)


def _ods_valor(celda: Element) -> Celda:
    tipo = _ods_atributo(celda, _ODS_OFFICE, "value-type")
    if tipo in ("float", "percentage", "currency"):
        try:
            return float(_ods_atributo(celda, _ODS_OFFICE, "value") or "")
        except ValueError:
            pass  # valor roto: queda el texto visible
    elif tipo == "boolean":
        return _ods_atributo(celda, _ODS_OFFICE, "boolean-value") == "true"
    elif tipo == "date":
        texto = _ods_atributo(celda, _ODS_OFFICE, "date-value") or ""
        try:
            return datetime.fromisoformat(texto) if "T" in texto else date.fromisoformat(texto)
        except ValueError:
            pass
    # pandas pone `office:value` también en las celdas de texto (por eso calamine
    # falla): el texto es el de los párrafos, no ese atributo.
    return "\n".join(_ods_texto(p) for p in celda if etiqueta_local(p.tag) == "p")


def _ods_tablas(archivo: IO[bytes]) -> Iterator[tuple[str, Iterator[list[Celda] | int]]]:
    """(nombre, filas) de cada hoja en orden; una fila vacía repetida llega como su cantidad."""
    archivo.seek(0)
    try:
        libro = zipfile.ZipFile(archivo)
        contenido = libro.open("content.xml")
    except (zipfile.BadZipFile, KeyError) as error:
        raise ErrorPlanilla("No se pudo leer el archivo ODS: está dañado.") from error
    eventos = iterparse(contenido, events=("start", "end"))

    def filas_de_la_tabla() -> Iterator[list[Celda] | int]:
        for evento, elemento in eventos:
            etiqueta = etiqueta_local(elemento.tag)
            if evento == "end" and etiqueta == "table":
                elemento.clear()
                return
            if evento != "end" or etiqueta != "table-row":
                continue
            fila: list[Celda] = []
            columna = 0
            for celda in elemento:
                if etiqueta_local(celda.tag) not in ("table-cell", "covered-table-cell"):
                    continue
                repetida = int(_ods_atributo(celda, _ODS_TABLA, "number-columns-repeated") or 1)
                valor = _ods_valor(celda)
                if valor not in (None, ""):
                    fila.extend([""] * (columna - len(fila)))
                    fila.extend([valor] * min(repetida, REPETICIONES_MAXIMAS))
                columna = min(columna + repetida, COLUMNAS_MAXIMAS)
                if len(fila) >= COLUMNAS_MAXIMAS:
                    del fila[COLUMNAS_MAXIMAS:]
                    break
            repetidas = int(_ods_atributo(elemento, _ODS_TABLA, "number-rows-repeated") or 1)
            elemento.clear()
            if fila:
                for _ in range(min(repetidas, REPETICIONES_MAXIMAS)):
                    yield list(fila)
            else:
                yield repetidas

    try:
        for evento, elemento in eventos:
            if evento == "start" and etiqueta_local(elemento.tag) == "table":
                filas = filas_de_la_tabla()
                yield _ods_atributo(elemento, _ODS_TABLA, "name") or "", filas
                for _ in filas:  # lo que el llamador no leyó de esta hoja
                    pass
    except SyntaxError as error:
        raise ErrorPlanilla("No se pudo leer el archivo ODS: el XML está dañado.") from error
    finally:
        contenido.close()
        libro.close()
        archivo.seek(0)


def _hojas_propias(archivo: IO[bytes], max_filas: int) -> list[HojaPrevia]:
    hojas = []
    for nombre, filas in _ods_tablas(archivo):
        hoja = HojaPrevia(nombre, total_filas=0)
        numero = 0
        # Se recorre la hoja entera (_ods_tablas la recorre igual para llegar a la siguiente)
        # para saber cuál es su última fila con algo, numerada como en _filas_propias.
        for fila in filas:
            if isinstance(fila, int):
                hoja.filas.extend([] for _ in range(min(fila, max_filas - len(hoja.filas))))
                numero += fila
            else:
                numero += 1
                hoja.total_filas = numero
                if len(hoja.filas) < max_filas:
                    hoja.filas.append(fila)
        # Las filas vacías del final no son parte de la vista previa.
        while hoja.filas and not hoja.filas[-1]:
            hoja.filas.pop()
        hojas.append(hoja)
    return hojas


def _filas_propias(archivo: IO[bytes], nombre: str) -> Iterator[tuple[int, list[Celda]]]:
    for nombre_tabla, filas in _ods_tablas(archivo):
        if nombre_tabla != nombre:
            continue
        numero = 0
        for fila in filas:
            if isinstance(fila, int):
                numero += fila  # filas vacías: no se leen una por una
            else:
                numero += 1
                yield numero, fila
        return
    raise ErrorPlanilla(f"La planilla no tiene una hoja llamada «{nombre}».")
