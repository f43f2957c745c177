"""Planillas que el sistema entrega (filas descartadas, listas del informe), a salvo de
inyección de fórmulas."""

import csv
import io
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import IO

import xlsxwriter

# Un texto que empieza así se interpreta como fórmula en Excel/LibreOffice (OWASP).
INICIOS_DE_FORMULA = ("=", "+", "-", "@", "\t", "\r", "\n")


# Un signo solo o un número con signo no son fórmulas: se dejan legibles.
_NUMERO_O_SIGNO = re.compile(r"^[+-]?(\d+([.,]\d+)*)?$")


def texto_seguro(texto: str) -> str:
    """Prefija "'" a un texto que una planilla ejecutaría como fórmula."""
    if texto.startswith(INICIOS_DE_FORMULA) and not _NUMERO_O_SIGNO.match(texto):
        return f"'{texto}"
    return texto


@dataclass(frozen=True)
class Hoja:
    """Una hoja de la planilla: encabezado y filas de valores (texto, número o None)."""

    nombre: str  # Excel acepta hasta 31 caracteres
    encabezado: Sequence[str]
    filas: Iterable[Sequence[object]]
    columnas_fijas: int = 0


def planilla_xlsx(hojas: Iterable[Hoja]) -> IO[bytes]:
    """Un XLSX escrito fila por fila (constant_memory): los números como números y todo
    texto, que viene de planillas de proveedores, pasado por texto_seguro."""
    # Se devuelve abierto: FileResponse lo cierra cuando termina de enviarlo.
    salida = tempfile.TemporaryFile()  # noqa: SIM115
    libro = xlsxwriter.Workbook(salida, {"constant_memory": True, "strings_to_formulas": False})
    negrita = libro.add_format({"bold": True})
    for datos in hojas:
        hoja = libro.add_worksheet(datos.nombre)
        hoja.write_row(0, 0, [texto_seguro(titulo) for titulo in datos.encabezado], negrita)
        for numero, fila in enumerate(datos.filas, start=1):
            for columna, valor in enumerate(fila):
                if valor is None or valor == "":
                    continue
                if isinstance(valor, str):
                    hoja.write_string(numero, columna, texto_seguro(valor))
                else:
                    hoja.write_number(numero, columna, valor)
        hoja.freeze_panes(1, datos.columnas_fijas)
    libro.close()
    salida.seek(0)
    return salida


def registros_de_descartes(csv_descartes: IO[bytes]) -> Iterator[list[str]]:
    """Los registros del CSV de descartes; el primero es el encabezado (fila, motivo, celdas)."""
    texto = io.TextIOWrapper(csv_descartes, encoding="utf-8", newline="")
    try:
        yield from csv.reader(texto)
    finally:
        # Sin esto, al recolectarse el envoltorio cerraría el archivo de quien lo abrió.
        texto.detach()


def fila_descartada(registro: Sequence[str]) -> tuple:
    """Número de fila (entero), motivo y las celdas tal como venían."""
    return (int(registro[0]), *registro[1:])


def descartes_a_xlsx(csv_descartes: IO[bytes]) -> IO[bytes]:
    """Las filas descartadas (fila, motivo, valores originales) como XLSX, listas para corregir."""
    registros = registros_de_descartes(csv_descartes)
    encabezado = ["Fila", "Motivo", *next(registros, ["", ""])[2:]]
    return planilla_xlsx(
        [Hoja("Filas descartadas", encabezado, map(fila_descartada, registros), columnas_fijas=2)]
    )
