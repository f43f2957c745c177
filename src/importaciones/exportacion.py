"""Planillas que el sistema entrega (filas descartadas), a salvo de inyección de fórmulas."""

import csv
import io
import re
import tempfile
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


def descartes_a_xlsx(csv_descartes: IO[bytes]) -> IO[bytes]:
    """Las filas descartadas (fila, motivo, valores originales) como XLSX, listas para corregir."""
    # Se devuelve abierto: FileResponse lo cierra cuando termina de enviarlo.
    salida = tempfile.TemporaryFile()  # noqa: SIM115
    libro = xlsxwriter.Workbook(salida, {"constant_memory": True, "strings_to_formulas": False})
    hoja = libro.add_worksheet("Filas descartadas")
    negrita = libro.add_format({"bold": True})
    texto = io.TextIOWrapper(csv_descartes, encoding="utf-8", newline="")
    for numero, fila in enumerate(csv.reader(texto)):
        if numero == 0:
            hoja.write_row(0, 0, ["Fila", "Motivo", *fila[2:]], negrita)
            continue
        hoja.write_number(numero, 0, int(fila[0]))
        for columna, valor in enumerate(fila[1:], start=1):
            hoja.write_string(numero, columna, texto_seguro(valor))
    texto.detach()
    hoja.freeze_panes(1, 2)
    libro.close()
    salida.seek(0)
    return salida
