"""El formato de un archivo por su contenido (no por la extensión) y los controles baratos
que rechazan, sin abrirlo, lo que no se debe leer.

Un XLSX u ODS es un ZIP: su índice dice cuántas entradas tiene y cuánto ocupan
descomprimidas, sin descomprimir nada. Un "zip bomb" (1,2 MB que se vuelven
348 MB de XML) se rechaza acá; lo que pase igual lo contiene el lector aislado.
"""

import codecs
import zipfile
from typing import IO

from django.conf import settings

from .celdas import ErrorPlanilla
from .csv import MUESTRA_CSV, decodificar, es_tabla

FIRMA_ZIP = b"PK\x03\x04"
FIRMA_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Lo que no es una planilla y se reconoce por cómo empieza (en minúsculas, sin BOM ni
# espacios adelante): el mensaje dice qué es. Un PDF puede no tener bytes NUL al principio.
FIRMAS_DE_OTROS_ARCHIVOS = (
    (b"%pdf-", "un documento PDF"),
    (b"\x89png\r\n\x1a\n", "una imagen PNG"),
    (b"\xff\xd8\xff", "una imagen JPEG"),
    (b"gif87a", "una imagen GIF"),
    (b"gif89a", "una imagen GIF"),
    (b"{\\rtf", "un documento RTF (de Word o WordPad)"),
    (b"<!doctype html", "una página web (HTML)"),
    (b"<html", "una página web (HTML)"),
    (b"<?xml", "un archivo XML"),
)
# Un .xls BIFF2–BIFF5 "crudo" (sin contenedor OLE) empieza con un registro BOF:
# 0x09 y la versión (0x00, 0x02, 0x04 o 0x08).
VERSIONES_BIFF = (0x00, 0x02, 0x04, 0x08)


def detectar_formato(archivo: IO[bytes]) -> str:
    """Formato por contenido (no por extensión): xlsx, xls, ods o csv."""
    archivo.seek(0)
    cabecera = archivo.read(8)
    archivo.seek(0)
    if not cabecera:
        raise ErrorPlanilla("El archivo está vacío.")
    if cabecera.startswith(FIRMA_ZIP):
        try:
            with zipfile.ZipFile(archivo) as libro:
                nombres = set(libro.namelist())
                tipo = libro.read("mimetype") if "mimetype" in nombres else b""
        except zipfile.BadZipFile as error:
            raise ErrorPlanilla("El archivo está dañado o incompleto (ZIP inválido).") from error
        finally:
            archivo.seek(0)
        if "xl/workbook.xml" in nombres:
            return "xlsx"
        if tipo.startswith(b"application/vnd.oasis.opendocument.spreadsheet"):
            return "ods"
        raise ErrorPlanilla("Es un archivo comprimido, pero no una planilla de Excel ni ODS.")
    if cabecera.startswith(FIRMA_OLE2) or es_biff_crudo(cabecera):
        return "xls"
    muestra = archivo.read(MUESTRA_CSV)
    archivo.seek(0)
    inicio = muestra[:64].removeprefix(codecs.BOM_UTF8).lstrip().lower()
    for firma, que_es in FIRMAS_DE_OTROS_ARCHIVOS:
        if inicio.startswith(firma):
            raise ErrorPlanilla(
                f"No es una planilla: es {que_es}. Subí la lista en Excel (.xlsx o .xls), "
                "ODS o CSV; si Excel la abre, guardala desde ahí como .xlsx."
            )
    if b"\x00" in muestra:
        raise ErrorPlanilla(
            "No es una planilla: el formato no es Excel, ODS ni texto separado por comas."
        )
    _codificacion, texto = decodificar(muestra)
    if not es_tabla(texto, completo=len(muestra) < MUESTRA_CSV):
        raise ErrorPlanilla(
            "No es una planilla: el archivo es texto, pero no una tabla separada por comas, "
            "punto y coma o tabulaciones."
        )
    return "csv"


def es_biff_crudo(cabecera: bytes) -> bool:
    return (
        len(cabecera) >= 4
        and cabecera[0] == 0x09
        and cabecera[1] in VERSIONES_BIFF
        and cabecera[3] == 0
        and cabecera[2] in (4, 6, 8, 16)
    )


MAXIMO_DE_ENTRADAS = 5000
# Una hoja real comprime 5–20 veces; más de 200 veces y muy grande es sospechoso.
RELACION_SOSPECHOSA = 200
TAMANO_PARA_SOSPECHAR = 50 * 1024 * 1024
# Nombre de la secuencia que guarda un libro de Office cifrado (en UTF-16).
PAQUETE_CIFRADO = "EncryptedPackage".encode("utf-16-le")


def verificar_contenedor(archivo: IO[bytes], formato: str) -> None:
    """Levanta ErrorPlanilla si el archivo es un ZIP peligroso o un libro con contraseña."""
    archivo.seek(0)
    try:
        if formato == "xls" and archivo.read(len(FIRMA_OLE2)) == FIRMA_OLE2:
            archivo.seek(0)
            if PAQUETE_CIFRADO in archivo.read(4 * 1024 * 1024):
                raise ErrorPlanilla(
                    "La planilla está protegida con contraseña. Abrila, guardala sin "
                    "contraseña y volvé a subirla."
                )
        if formato in ("xlsx", "ods"):
            _verificar_zip(archivo)
    finally:
        archivo.seek(0)


def _verificar_zip(archivo: IO[bytes]) -> None:
    try:
        with zipfile.ZipFile(archivo) as libro:
            entradas = libro.infolist()
    except zipfile.BadZipFile as error:
        raise ErrorPlanilla("El archivo está dañado o incompleto (ZIP inválido).") from error
    if len(entradas) > MAXIMO_DE_ENTRADAS:
        raise ErrorPlanilla(
            f"El archivo tiene {len(entradas)} partes internas: no es una planilla."
        )
    maximo = settings.TARIFARIO_MAX_DESCOMPRIMIDO_MB * 1024 * 1024
    if sum(entrada.file_size for entrada in entradas) > maximo:
        raise ErrorPlanilla(
            "El archivo ocupa más de "
            f"{settings.TARIFARIO_MAX_DESCOMPRIMIDO_MB} MB descomprimido: es demasiado grande."
        )
    for entrada in entradas:
        relacion = entrada.file_size / max(entrada.compress_size, 1)
        if entrada.file_size > TAMANO_PARA_SOSPECHAR and relacion > RELACION_SOSPECHOSA:
            raise ErrorPlanilla(
                "El archivo está comprimido de una forma sospechosa (se infla "
                f"{relacion:.0f} veces): no se lee por seguridad."
            )
