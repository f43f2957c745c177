"""CSV: codificación (UTF-8 con o sin BOM, o cp1252) y delimitador por el contenido."""

import codecs
import csv
import io
from collections.abc import Iterator
from typing import IO

from .celdas import ErrorPlanilla, HojaPrevia

DELIMITADORES = (";", ",", "\t", "|")
CODIFICACIONES = ("utf-8-sig", "cp1252")
MUESTRA_CSV = 64 * 1024


def hojas(archivo: IO[bytes], max_filas: int) -> list[HojaPrevia]:
    """Un CSV es una sola hoja, «CSV»: sus primeras filas y cuántas líneas tiene."""
    primeras = []
    total: int | None = None
    for _numero, fila in filas(archivo):
        if len(primeras) >= max_filas:
            break
        primeras.append(list(fila))
    else:
        total = len(primeras)
    return [HojaPrevia("CSV", primeras, total if total is not None else contar_lineas(archivo))]


def filas(archivo: IO[bytes], hoja: str = "CSV") -> Iterator[tuple[int, list[str]]]:
    codificacion, delimitador = detectar_csv(archivo)
    archivo.seek(0)
    texto = io.TextIOWrapper(archivo, encoding=codificacion, newline="")
    try:
        lector = csv.reader(texto, delimiter=delimitador)
        yield from enumerate(lector, start=1)
    except UnicodeDecodeError as error:
        raise ErrorPlanilla(
            f"El CSV mezcla codificaciones: a partir de la fila {lector.line_num} no es "
            f"{codificacion} válido."
        ) from error
    except csv.Error as error:
        if "field larger than field limit" in str(error):
            # Una celda de más de 128 KB no es un precio ni una descripción: suele ser un
            # archivo que no es texto separado, o una comilla que nunca se cierra.
            raise ErrorPlanilla(
                f"El CSV está mal formado cerca de la fila {lector.line_num}: una celda tiene "
                f"más de {csv.field_size_limit() // 1024} KB (¿una comilla sin cerrar?)."
            ) from error
        raise ErrorPlanilla(
            f"El CSV está mal formado cerca de la fila {lector.line_num} ({error})."
        ) from error
    finally:
        # Que cerrar el lector de texto no cierre el archivo del storage.
        texto.detach()


def filas_estimadas(archivo: IO[bytes]) -> int | None:
    """Las líneas del CSV extrapoladas de su principio: para el avance, sin leerlo entero."""
    archivo.seek(0)
    try:
        muestra = archivo.read(MUESTRA_CSV)
        lineas = muestra.count(b"\n")
        if not lineas:
            return None
        archivo.seek(0, io.SEEK_END)
        return round(archivo.tell() * lineas / len(muestra))
    finally:
        archivo.seek(0)


def contar_lineas(archivo: IO[bytes]) -> int:
    """Las filas de un CSV contando sus fines de línea (CRLF, LF o CR sueltos, como csv.reader).

    Lee el archivo entero, pero sólo cuenta bytes: ~0,2 s con 100 MB (sólo hace falta si el
    CSV tiene más filas que la vista previa).
    """
    archivo.seek(0)
    saltos = 0
    anterior = b""
    while bloque := archivo.read(1 << 20):
        retornos = bloque.count(b"\r")
        saltos += bloque.count(b"\n") + retornos - (bloque.count(b"\r\n") if retornos else 0)
        if anterior == b"\r" and bloque.startswith(b"\n"):
            saltos -= 1  # un \r\n partido entre dos bloques
        anterior = bloque[-1:]
    archivo.seek(0)
    return saltos + (anterior not in (b"", b"\n", b"\r"))


def detectar_csv(archivo: IO[bytes]) -> tuple[str, str]:
    """Codificación (UTF-8 con o sin BOM, o cp1252) y delimitador de un CSV."""
    archivo.seek(0)
    muestra = archivo.read(MUESTRA_CSV)
    archivo.seek(0)
    codificacion, texto = decodificar(muestra)
    return codificacion, _detectar_delimitador(texto)


def decodificar(muestra: bytes) -> tuple[str, str]:
    """(codificación, texto) del principio de un CSV: UTF-8 (con o sin BOM) o cp1252."""
    for codificacion in CODIFICACIONES:
        # Decodificación incremental: la muestra puede cortar un carácter al final.
        try:
            return codificacion, codecs.getincrementaldecoder(codificacion)().decode(
                muestra, final=False
            )
        except UnicodeDecodeError:
            continue
    raise ErrorPlanilla(
        "No se reconoce la codificación del CSV (se probó UTF-8 y Windows-1252). "
        "Guardalo como «CSV UTF-8» y volvé a subirlo."
    )


def _detectar_delimitador(texto: str) -> str:
    lineas = texto.splitlines()[:50]
    if len(lineas) > 1:
        lineas = lineas[:-1]  # la última puede estar cortada
    mejor, puntaje_mejor = ",", (0, 0)
    for delimitador in DELIMITADORES:
        anchos = [len(fila) for fila in csv.reader(lineas, delimiter=delimitador) if any(fila)]
        # Las líneas que no parte (un título arriba de la lista) no votan: en un archivo
        # chico podrían ser tantas como las de datos y descalificar al delimitador.
        anchos = [ancho for ancho in anchos if ancho >= 2]
        if not anchos:
            continue
        ancho_comun = max(set(anchos), key=anchos.count)
        # Gana el que parte más líneas en la misma cantidad de columnas.
        puntaje = (anchos.count(ancho_comun), ancho_comun)
        if puntaje > puntaje_mejor:
            mejor, puntaje_mejor = delimitador, puntaje
    return mejor


def es_tabla(texto: str, completo: bool) -> bool:
    """Si el principio de un archivo de texto es una tabla: con el delimitador que se detecta,
    al menos la mitad de las líneas con algo se parten en 2 campos o más, y la mayoría de
    esas en la misma cantidad. Un título arriba (una línea de un campo) no la descalifica;
    un texto corrido, o una sola columna (no hay precio al lado de nada), sí."""
    lineas = texto.splitlines()[:50]
    if not completo and len(lineas) > 1:
        lineas = lineas[:-1]  # la última puede estar cortada
    filas = [
        fila
        for fila in csv.reader(lineas, delimiter=_detectar_delimitador(texto))
        if any(campo.strip() for campo in fila)
    ]
    # Partida: 2 campos con algo («Saludos,» no cuenta); el ancho es con los vacíos, que en
    # una planilla exportada son parejos (";;;;" al final de cada fila).
    partidas = [len(fila) for fila in filas if sum(1 for c in fila if c.strip()) >= 2]
    if not partidas or 2 * len(partidas) < len(filas):
        return False
    ancho_comun = max(set(partidas), key=partidas.count)
    return 2 * partidas.count(ancho_comun) >= len(partidas)
