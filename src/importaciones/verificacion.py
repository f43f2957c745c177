"""Controles baratos antes de leer una planilla: lo que se rechaza sin abrirla.

Un XLSX u ODS es un ZIP: su índice dice cuántas entradas tiene y cuánto ocupan
descomprimidas, sin descomprimir nada. Un "zip bomb" (1,2 MB que se vuelven
348 MB de XML) se rechaza acá; lo que pase igual lo contiene el lector aislado.
"""

import zipfile
from typing import IO

from django.conf import settings

from .planillas import FIRMA_OLE2, ErrorPlanilla

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
