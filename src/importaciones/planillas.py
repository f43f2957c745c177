"""Lectura de planillas: formato por contenido, vista previa acotada y filas en streaming.

Todo recibe archivos abiertos (objetos `File` del storage de Django), nunca
rutas del disco, para que el storage se pueda reemplazar por uno compartido.
"""

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import IO
from xml.etree.ElementTree import iterparse

import python_calamine

Celda = str | float | int | bool | date | datetime | time | None

FIRMA_ZIP = b"PK\x03\x04"
FIRMA_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
DELIMITADORES = (";", ",", "\t", "|")
CODIFICACIONES = ("utf-8-sig", "cp1252")
MUESTRA_CSV = 64 * 1024


class ErrorPlanilla(Exception):
    """El archivo no se puede leer; el mensaje es para la persona que lo subió."""


@dataclass
class HojaPrevia:
    nombre: str
    filas: list[list[Celda]] = field(default_factory=list)

    @property
    def ancho(self) -> int:
        return max((len(fila) for fila in self.filas), default=0)


def letra_columna(indice: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letras = ""
    indice += 1
    while indice:
        indice, resto = divmod(indice - 1, 26)
        letras = chr(65 + resto) + letras
    return letras


def indice_columna(letras: str) -> int:
    """A → 0, AA → 26."""
    indice = 0
    for letra in letras.strip().upper():
        if not "A" <= letra <= "Z":
            raise ValueError(f"Columna inválida: {letras!r}")
        indice = indice * 26 + ord(letra) - 64
    return indice - 1


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
    if cabecera.startswith(FIRMA_OLE2):
        return "xls"
    muestra = archivo.read(MUESTRA_CSV)
    archivo.seek(0)
    if b"\x00" in muestra:
        raise ErrorPlanilla(
            "No es una planilla: el formato no es Excel, ODS ni texto separado por comas."
        )
    return "csv"


# --- Vista previa ----------------------------------------------------------------


def leer_vista_previa(archivo: IO[bytes], formato: str, max_filas: int = 30) -> list[HojaPrevia]:
    """Las primeras filas de cada hoja, sin leer el archivo entero cuando se puede."""
    if formato == "xlsx":
        return _xlsx_vista_previa(archivo, max_filas)
    if formato == "csv":
        filas = []
        for _numero, fila in iterar_filas_csv(archivo):
            filas.append(list(fila))
            if len(filas) >= max_filas:
                break
        return [HojaPrevia("CSV", filas)]
    libro = _abrir_calamine(archivo)
    hojas = []
    for nombre in _hojas_de_trabajo(libro):
        hoja = _hoja_calamine(libro, nombre)
        hojas.append(HojaPrevia(nombre, hoja.to_python(skip_empty_area=False, nrows=max_filas)))
    return hojas


def _xlsx_vista_previa(archivo: IO[bytes], max_filas: int) -> list[HojaPrevia]:
    # calamine carga la hoja entera (segundos y cientos de MB con un millón de
    # filas): para la vista previa se leen sólo las primeras filas del XML.
    archivo.seek(0)
    try:
        with zipfile.ZipFile(archivo) as libro:
            hojas = []
            for nombre, ruta in _xlsx_hojas(libro):
                hojas.append(HojaPrevia(nombre, _xlsx_primeras_filas(libro, ruta, max_filas)))
            _xlsx_resolver_textos(libro, hojas)
    except (zipfile.BadZipFile, KeyError, SyntaxError) as error:
        raise ErrorPlanilla("No se pudo leer el archivo Excel: está dañado.") from error
    return hojas


def _local(etiqueta: str) -> str:
    return etiqueta.rsplit("}", 1)[-1]


def _xlsx_hojas(libro: zipfile.ZipFile) -> list[tuple[str, str]]:
    destinos = {}
    for _evento, elemento in iterparse(libro.open("xl/_rels/workbook.xml.rels")):
        if _local(elemento.tag) == "Relationship":
            destino = elemento.get("Target", "")
            destino = destino.lstrip("/") if destino.startswith("/") else f"xl/{destino}"
            destinos[elemento.get("Id")] = destino
    hojas = []
    for _evento, elemento in iterparse(libro.open("xl/workbook.xml")):
        if _local(elemento.tag) == "sheet":
            id_relacion = next(
                (valor for clave, valor in elemento.attrib.items() if _local(clave) == "id"), None
            )
            destino = destinos.get(id_relacion, "")
            if destino.startswith("xl/worksheets/"):
                hojas.append((elemento.get("name", ""), destino))
    return hojas


_REFERENCIA = re.compile(r"([A-Z]+)(\d+)")


class _TextoCompartido(int):
    """Índice a la tabla de textos compartidos, resuelto después de leer las filas."""


def _xlsx_primeras_filas(libro: zipfile.ZipFile, ruta: str, max_filas: int) -> list[list[Celda]]:
    filas: list[list[Celda]] = []
    fila: list[Celda] = []
    numero_fila = 0
    tipo = ""
    valor: str | None = None
    texto_en_linea: list[str] = []
    for evento, elemento in iterparse(libro.open(ruta), events=("start", "end")):
        etiqueta = _local(elemento.tag)
        if evento == "start":
            if etiqueta == "row":
                numero_fila = int(elemento.get("r") or numero_fila + 1)
                if numero_fila > max_filas:
                    break
                while len(filas) < numero_fila - 1:
                    filas.append([])
                fila = []
            elif etiqueta == "c":
                tipo, valor, texto_en_linea = elemento.get("t", "n"), None, []
                referencia = _REFERENCIA.match(elemento.get("r", ""))
                columna = indice_columna(referencia.group(1)) if referencia else len(fila)
                fila.extend([""] * (columna - len(fila)))
            continue
        if etiqueta == "v":
            valor = elemento.text
        elif etiqueta == "t":
            texto_en_linea.append(elemento.text or "")
        elif etiqueta == "c":
            fila.append(_xlsx_valor(tipo, valor, texto_en_linea))
        elif etiqueta == "row":
            filas.append(fila)
        elemento.clear()
    return filas


def _xlsx_valor(tipo: str, valor: str | None, texto_en_linea: list[str]) -> Celda:
    if tipo == "inlineStr":
        return "".join(texto_en_linea)
    if valor is None:
        return ""
    if tipo == "s":
        return _TextoCompartido(int(valor))
    if tipo == "b":
        return valor == "1"
    if tipo in ("str", "e"):
        return valor
    return float(valor)


def _xlsx_resolver_textos(libro: zipfile.ZipFile, hojas: list[HojaPrevia]) -> None:
    necesarios = {
        celda
        for hoja in hojas
        for fila in hoja.filas
        for celda in fila
        if isinstance(celda, _TextoCompartido)
    }
    if not necesarios:
        return
    textos: list[str] = []
    ultimo = max(necesarios)
    partes: list[str] = []
    for evento, elemento in iterparse(libro.open("xl/sharedStrings.xml"), events=("start", "end")):
        etiqueta = _local(elemento.tag)
        if evento == "start":
            if etiqueta == "si":
                partes = []
            continue
        if etiqueta == "t":
            partes.append(elemento.text or "")
        elif etiqueta == "rPh":
            # Guía fonética (japonés): no es parte del texto visible.
            partes.clear()
        elif etiqueta == "si":
            textos.append("".join(partes))
            elemento.clear()
            if len(textos) > ultimo:
                break
    for hoja in hojas:
        for fila in hoja.filas:
            for i, celda in enumerate(fila):
                if isinstance(celda, _TextoCompartido):
                    fila[i] = textos[celda] if celda < len(textos) else ""


# --- Lectura completa -------------------------------------------------------------


_DIMENSION = re.compile(rb'<(?:\w+:)?dimension ref="[A-Z]+\d+:?[A-Z]*(\d*)"')


def filas_estimadas(archivo: IO[bytes], formato: str, hoja: str) -> int | None:
    """Cuántas filas tiene la hoja, sin leerla: para mostrar el avance (puede ser aproximado)."""
    archivo.seek(0)
    try:
        if formato == "xlsx":
            with zipfile.ZipFile(archivo) as libro:
                ruta = dict(_xlsx_hojas(libro)).get(hoja)
                if ruta is None:
                    return None
                with libro.open(ruta) as xml:
                    encontrado = _DIMENSION.search(xml.read(4096))
                return int(encontrado.group(1)) if encontrado and encontrado.group(1) else None
        if formato == "csv":
            muestra = archivo.read(MUESTRA_CSV)
            lineas = muestra.count(b"\n")
            if not lineas:
                return None
            archivo.seek(0, io.SEEK_END)
            return round(archivo.tell() * lineas / len(muestra))
    except (zipfile.BadZipFile, KeyError, SyntaxError):
        return None
    finally:
        archivo.seek(0)
    return None


def iterar_filas(archivo: IO[bytes], formato: str, hoja: str) -> Iterator[tuple[int, list[Celda]]]:
    """(número de fila 1-based, celdas) de una hoja; las columnas empiezan en A."""
    if formato == "csv":
        yield from iterar_filas_csv(archivo)
        return
    libro = _abrir_calamine(archivo)
    if hoja not in libro.sheet_names:
        raise ErrorPlanilla(f"La planilla no tiene una hoja llamada «{hoja}».")
    datos = _hoja_calamine(libro, hoja)
    # iter_rows() rellena las filas vacías de arriba pero no las columnas de la izquierda.
    relleno: list[Celda] = [""] * datos.start[1] if datos.start else []
    for numero, fila in enumerate(datos.iter_rows(), start=1):
        yield numero, relleno + fila


def _abrir_calamine(archivo: IO[bytes]) -> python_calamine.CalamineWorkbook:
    archivo.seek(0)
    try:
        return python_calamine.CalamineWorkbook.from_filelike(archivo)
    except python_calamine.PasswordError as error:
        raise ErrorPlanilla("La planilla está protegida con contraseña.") from error
    except python_calamine.CalamineError as error:
        raise ErrorPlanilla(f"No se pudo leer la planilla: está dañada ({error}).") from error


def _hojas_de_trabajo(libro: python_calamine.CalamineWorkbook) -> list[str]:
    return [
        hoja.name
        for hoja in libro.sheets_metadata
        if hoja.typ == python_calamine.SheetTypeEnum.WorkSheet
    ]


def _hoja_calamine(
    libro: python_calamine.CalamineWorkbook, nombre: str
) -> python_calamine.CalamineSheet:
    try:
        return libro.get_sheet_by_name(nombre)
    except python_calamine.CalamineError as error:
        raise ErrorPlanilla(f"No se pudo leer la hoja «{nombre}»: {error}.") from error


def iterar_filas_csv(archivo: IO[bytes]) -> Iterator[tuple[int, list[str]]]:
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
        raise ErrorPlanilla(
            f"El CSV está mal formado cerca de la fila {lector.line_num}: {error}."
        ) from error
    finally:
        # Que cerrar el lector de texto no cierre el archivo del storage.
        texto.detach()


def detectar_csv(archivo: IO[bytes]) -> tuple[str, str]:
    """Codificación (UTF-8 con o sin BOM, o cp1252) y delimitador de un CSV."""
    archivo.seek(0)
    muestra = archivo.read(MUESTRA_CSV)
    archivo.seek(0)
    for codificacion in CODIFICACIONES:
        # Decodificación incremental: la muestra puede cortar un carácter al final.
        try:
            texto = codecs.getincrementaldecoder(codificacion)().decode(muestra, final=False)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ErrorPlanilla(
            "No se reconoce la codificación del CSV (se probó UTF-8 y Windows-1252). "
            "Guardalo como «CSV UTF-8» y volvé a subirlo."
        )
    return codificacion, _detectar_delimitador(texto)


def _detectar_delimitador(texto: str) -> str:
    lineas = texto.splitlines()[:50]
    if len(lineas) > 1:
        lineas = lineas[:-1]  # la última puede estar cortada
    mejor, puntaje_mejor = ",", (0, 0)
    for delimitador in DELIMITADORES:
        anchos = [len(fila) for fila in csv.reader(lineas, delimiter=delimitador) if any(fila)]
        if not anchos:
            continue
        ancho_comun = max(set(anchos), key=anchos.count)
        if ancho_comun < 2:
            continue
        # Gana el que parte más líneas en la misma cantidad de columnas.
        puntaje = (anchos.count(ancho_comun), ancho_comun)
        if puntaje > puntaje_mejor:
            mejor, puntaje_mejor = delimitador, puntaje
    return mejor
