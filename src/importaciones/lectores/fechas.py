"""Fechas de Excel: qué estilos de celda son fechas y cómo se convierte un número de serie,
con las mismas reglas que python-calamine (para que las dos lecturas de un XLSX coincidan)."""

import zipfile
from datetime import datetime, timedelta
from xml.etree.ElementTree import iterparse

from .celdas import Celda, etiqueta_local

EPOCA_EXCEL = datetime(1899, 12, 30)
# Formatos de número predefinidos de Excel que son fechas u horas (14–22, 45, 47) o duración.
_FORMATOS_FECHA = {**dict.fromkeys((*range(14, 23), 45, 47), "fecha"), 46: "duracion"}


def estilos_fecha(libro: zipfile.ZipFile) -> tuple[dict[bytes, str], bool]:
    """Los estilos de celda (índice en cellXfs) con formato de fecha o duración, y si la
    planilla cuenta los días desde 1904."""
    fecha_1904 = False
    for _evento, elemento in iterparse(libro.open("xl/workbook.xml")):
        if etiqueta_local(elemento.tag) == "workbookPr":
            fecha_1904 = elemento.get("date1904", "").lower() in ("1", "true")
    try:
        estilos = libro.open("xl/styles.xml")
    except KeyError:
        return {}, fecha_1904
    formatos: dict[int, str] = {}
    fechas: dict[bytes, str] = {}
    en_celdas = False
    indice = 0
    with estilos:
        for evento, elemento in iterparse(estilos, events=("start", "end")):
            etiqueta = etiqueta_local(elemento.tag)
            if etiqueta == "cellXfs":
                en_celdas = evento == "start"
            elif evento == "end" and etiqueta == "numFmt":
                codigo = int(elemento.get("numFmtId", "0"))
                if tipo := _tipo_de_formato(elemento.get("formatCode", "")):
                    formatos[codigo] = tipo
            elif evento == "end" and etiqueta == "xf" and en_celdas:
                codigo = int(elemento.get("numFmtId", "0"))
                if tipo := formatos.get(codigo) or _FORMATOS_FECHA.get(codigo):
                    fechas[str(indice).encode()] = tipo
                indice += 1
    return fechas, fecha_1904


def _tipo_de_formato(formato: str) -> str | None:
    """ "fecha", "duracion" o None para un formato de número propio (la regla de calamine)."""
    escapado = entre_comillas = am_pm = hms = False
    corchetes = 0
    anterior = " "
    for caracter in formato:
        if escapado:
            escapado = False
        elif caracter in "_\\*":
            escapado = True
        elif entre_comillas:
            entre_comillas = caracter != '"'
        elif caracter == '"':
            entre_comillas = True
        elif caracter == ";":
            return None  # sólo cuenta la primera sección
        elif caracter == "[":
            corchetes += 1
        elif caracter == "]" and corchetes == 1 and hms:
            return "duracion"
        elif caracter == "]":
            corchetes = max(corchetes - 1, 0)
        elif caracter in "aA" and not am_pm and not corchetes:
            am_pm = True
        elif not corchetes and (caracter in "pm/PM" if am_pm else caracter in "dmhysDMHYS"):
            return "fecha"
        elif not (hms and caracter.lower() == anterior.lower()):
            hms = anterior == "[" and caracter in "mhsMHS"
        anterior = caracter
    return None


def fecha_excel(valor: float, tipo: str, fecha_1904: bool) -> Celda:
    """Un número de serie de Excel como lo convierte python-calamine."""
    if tipo == "duracion":
        return timedelta(days=valor)
    dias = valor + 1462 if fecha_1904 else valor
    try:
        # Antes del 1/3/1900 Excel cuenta un 29/2/1900 que no existió.
        momento = EPOCA_EXCEL + timedelta(days=dias if dias >= 60 else dias + 1)
    except OverflowError:
        return valor
    if valor < 1:
        return momento.time()
    if valor == int(valor):
        return momento.date()
    return momento


def fecha_iso(texto: str) -> Celda:
    try:
        momento = datetime.fromisoformat(texto)
    except ValueError:
        return texto
    return momento.date() if "T" not in texto else momento
