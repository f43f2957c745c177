"""Lectura de planillas: formato por contenido, vista previa acotada y filas en streaming.

Todo recibe archivos abiertos (objetos `File` del storage de Django), nunca
rutas del disco, para que el storage se pueda reemplazar por uno compartido.
"""

import codecs
import csv
import html
import io
import re
import struct
import zipfile
import zlib
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import IO
from xml.etree.ElementTree import Element, iterparse

import python_calamine
import xlrd

Celda = str | float | int | bool | date | datetime | time | None

FIRMA_ZIP = b"PK\x03\x04"
FIRMA_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
DELIMITADORES = (";", ",", "\t", "|")
CODIFICACIONES = ("utf-8-sig", "cp1252")
MUESTRA_CSV = 64 * 1024
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
# Tope de repeticiones de una celda o fila de ODS: un `number-columns-repeated`
# de 16.384 celdas con estilo no es dato, y expandirlo llena la memoria.
REPETICIONES_MAXIMAS = 1000
COLUMNAS_MAXIMAS = 1024
# Hojas XLSX con más XML que esto (sin comprimir) se leen en streaming en vez de con
# calamine, que carga la hoja entera: ~3,4 bytes de memoria por byte de XML (615 MB
# con un millón de filas). 32 MB de XML son ~180.000 filas de 4 columnas y ~110 MB
# con calamine; por debajo calamine es más rápido y conoce más rarezas de formato.
UMBRAL_XLSX_STREAMING = 32 * 1024 * 1024


class ErrorPlanilla(Exception):
    """El archivo no se puede leer; el mensaje es para la persona que lo subió."""


@dataclass
class HojaPrevia:
    nombre: str
    filas: list[list[Celda]] = field(default_factory=list)
    # Cuántas filas tiene la hoja entera (la vista previa lee sólo las primeras), o None si
    # no se sabe sin leerla toda. En un CSV es la cantidad de líneas: una celda entre
    # comillas con saltos de línea la hace contar de más, nunca de menos.
    total_filas: int | None = None

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
    if cabecera.startswith(FIRMA_OLE2) or _es_biff_crudo(cabecera):
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
    _codificacion, texto = _decodificar(muestra)
    if not _es_tabla(texto, completo=len(muestra) < MUESTRA_CSV):
        raise ErrorPlanilla(
            "No es una planilla: el archivo es texto, pero no una tabla separada por comas, "
            "punto y coma o tabulaciones."
        )
    return "csv"


def _es_biff_crudo(cabecera: bytes) -> bool:
    return (
        len(cabecera) >= 4
        and cabecera[0] == 0x09
        and cabecera[1] in VERSIONES_BIFF
        and cabecera[3] == 0
        and cabecera[2] in (4, 6, 8, 16)
    )


# --- Vista previa ----------------------------------------------------------------


def leer_vista_previa(archivo: IO[bytes], formato: str, max_filas: int = 30) -> list[HojaPrevia]:
    """Las primeras filas de cada hoja, sin leer el archivo entero cuando se puede."""
    if formato == "xlsx":
        return _xlsx_vista_previa(archivo, max_filas)
    if formato == "csv":
        filas = []
        total: int | None = None
        for _numero, fila in iterar_filas_csv(archivo):
            if len(filas) >= max_filas:
                break
            filas.append(list(fila))
        else:
            total = len(filas)
        return [HojaPrevia("CSV", filas, total if total is not None else _lineas_csv(archivo))]
    if formato == "xls" and _biff_crudo(archivo):
        libro_xlrd = _abrir_xlrd(archivo)
        return [
            HojaPrevia(
                hoja.name,
                [_fila_xlrd(libro_xlrd, hoja, r) for r in range(hoja.nrows)][:max_filas],
                hoja.nrows,
            )
            for hoja in libro_xlrd.sheets()
        ]
    if formato == "ods" and not _calamine_abre(archivo):
        return _ods_vista_previa(archivo, max_filas)
    libro = _abrir_calamine(archivo)
    hojas = []
    for nombre in _hojas_de_trabajo(libro):
        hoja = _hoja_calamine(libro, nombre)
        # calamine ya cargó la hoja entera: `end` es la última celda con algo (base 0).
        total = hoja.end[0] + 1 if hoja.end else 0
        filas = hoja.to_python(skip_empty_area=False, nrows=max_filas)
        hojas.append(HojaPrevia(nombre, filas, total))
    return hojas


def _lineas_csv(archivo: IO[bytes]) -> int:
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


def _xlsx_vista_previa(archivo: IO[bytes], max_filas: int) -> list[HojaPrevia]:
    # calamine carga la hoja entera (segundos y cientos de MB con un millón de
    # filas): para la vista previa se leen sólo las primeras filas del XML.
    archivo.seek(0)
    try:
        with zipfile.ZipFile(archivo) as libro:
            hojas = []
            for nombre, ruta in _xlsx_hojas(libro):
                filas, completa = _xlsx_primeras_filas(libro, ruta, max_filas)
                if completa:
                    total = len(filas)
                else:
                    # La dimensión que declara la hoja (si es menos de lo que ya se vio, está
                    # mal escrita) o, sin ella, la última fila del XML.
                    total = _xlsx_filas_declaradas(libro, ruta)
                    if not total or total <= max_filas:
                        total = _xlsx_ultima_fila(libro, ruta)
                hojas.append(HojaPrevia(nombre, filas, total))
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


def _xlsx_primeras_filas(
    libro: zipfile.ZipFile, ruta: str, max_filas: int
) -> tuple[list[list[Celda]], bool]:
    """Las primeras `max_filas` filas de la hoja, y si con ellas se terminó la hoja."""
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
                    return filas, False
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
    return filas, True


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
                return _xlsx_filas_declaradas(libro, ruta) if ruta else None
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


def _xlsx_filas_declaradas(libro: zipfile.ZipFile, ruta: str) -> int | None:
    """La última fila según el <dimension> del principio de la hoja (lo escribe quien la
    generó: casi siempre está, y casi siempre es cierta)."""
    with libro.open(ruta) as xml:
        encontrado = _DIMENSION.search(xml.read(4096))
    return int(encontrado.group(1)) if encontrado and encontrado.group(1) else None


_FILA_CON_NUMERO = re.compile(rb"""<(?:\w+:)?row\s[^>]*?(?<=\s)r\s*=\s*["'](\d+)["']""")


def _xlsx_ultima_fila(libro: zipfile.ZipFile, ruta: str) -> int | None:
    """El número de la última <row> de la hoja, para las que no declaran su dimensión
    (Google Sheets no la escribe). Sólo descomprime el XML, sin interpretarlo: ~1 ms por MB;
    None si la hoja pasa de UMBRAL_XLSX_STREAMING o sus filas no dicen su número."""
    if libro.getinfo(ruta).file_size > UMBRAL_XLSX_STREAMING:
        return None
    cola = b""
    fin = None
    with libro.open(ruta) as xml:
        while bloque := xml.read(BLOQUE_XML):
            cola = cola[-4096:] + bloque  # con algo del anterior: una etiqueta partida
            if b"sheetData" in cola and (fin := _FIN_DE_DATOS.search(cola)):
                break
    datos = cola[: fin.start()] if fin else cola
    # Las últimas filas alcanzan (buscar en todo el bloque es más lento); si una sola ocupa
    # más que eso, en todo.
    numeros = _FILA_CON_NUMERO.findall(datos, max(len(datos) - 65536, 0))
    numeros = numeros or _FILA_CON_NUMERO.findall(datos)
    return int(numeros[-1]) if numeros else None


def iterar_filas(archivo: IO[bytes], formato: str, hoja: str) -> Iterator[tuple[int, list[Celda]]]:
    """(número de fila 1-based, celdas) de una hoja; las columnas empiezan en A."""
    if formato == "csv":
        yield from iterar_filas_csv(archivo)
        return
    if formato == "xls" and _biff_crudo(archivo):
        yield from _xlrd_filas(archivo, hoja)
        return
    if formato == "ods" and not _calamine_abre(archivo):
        yield from _ods_filas(archivo, hoja)
        return
    if formato == "xlsx" and _xlsx_hoja_grande(archivo, hoja):
        yield from iterar_filas_xlsx(archivo, hoja)
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


def _calamine_abre(archivo: IO[bytes]) -> bool:
    try:
        _abrir_calamine(archivo)
    except ErrorPlanilla:
        return False
    return True


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


# --- XLSX grande: el XML de la hoja en streaming ---------------------------------------
#
# Con un parser XML de verdad (expat con callbacks, iterparse) una fila de 4 celdas
# pasa por ~20 llamadas a Python: 30–45k filas/s, 4–5 veces más lento que calamine.
# El XML de una hoja de SpreadsheetML es muy regular, así que se lee por bloques de
# filas completas con expresiones regulares (el trabajo por celda queda en C):
# ~150k filas/s con memoria constante. Entidades (&amp;), escapes _xHHHH_ y texto
# enriquecido se resuelven como lo hace calamine.

BLOQUE_XML = 1 << 20
EPOCA_EXCEL = datetime(1899, 12, 30)

_ATRIBUTO = re.compile(rb"""(?:^|\s)(r|s|t)\s*=\s*["']([^"']*)["']""")
_ATRIBUTO_R = re.compile(rb"""(?:^|\s)r\s*=\s*["'](\d+)["']""")
_VALOR = re.compile(rb"<(?:\w+:)?v(?:\s[^>]*)?>([^<]*)</(?:\w+:)?v>")
_TEXTO = re.compile(rb"<(?:\w+:)?t(?:\s[^>]*)?>([^<]*)</(?:\w+:)?t>")
_FONETICA = re.compile(rb"<(?:\w+:)?rPh\b.*?</(?:\w+:)?rPh>", re.S)
_ESCAPE_OOXML = re.compile(r"_x([0-9A-Fa-f]{4})_")
_SI = re.compile(rb"<(?:\w+:)?si>(.*?)</(?:\w+:)?si>|<(?:\w+:)?si\s*/>", re.S)
_DIMENSION_COLUMNAS = re.compile(rb"<(?:\w+:)?dimension ref=[\"'][A-Z]+\d+:([A-Z]+)\d+[\"']")
_FIN_DE_DATOS = re.compile(rb"</(?:\w+:)?sheetData>|<(?:\w+:)?sheetData\s*/>")
# Formatos de número predefinidos de Excel que son fechas u horas (14–22, 45, 47) o duración.
_FORMATOS_FECHA = {**dict.fromkeys((*range(14, 23), 45, 47), "fecha"), 46: "duracion"}


def _xlsx_hoja_grande(archivo: IO[bytes], hoja: str) -> bool:
    archivo.seek(0)
    try:
        with zipfile.ZipFile(archivo) as libro:
            ruta = dict(_xlsx_hojas(libro)).get(hoja)
            return ruta is not None and libro.getinfo(ruta).file_size > UMBRAL_XLSX_STREAMING
    except (zipfile.BadZipFile, KeyError, SyntaxError):
        return False  # que calamine dé el error
    finally:
        archivo.seek(0)


def iterar_filas_xlsx(archivo: IO[bytes], hoja: str) -> Iterator[tuple[int, list[Celda]]]:
    """Las filas de una hoja XLSX leyendo su XML por partes, con memoria acotada.

    Da lo mismo que calamine: números como float, fechas según el formato de la
    celda, textos compartidos y en línea, booleanos, el valor guardado de las
    fórmulas, errores como "", celdas vacías intermedias como "" y filas completadas
    hasta el ancho de `<dimension>`. Las filas vacías sólo salen si hay otra con
    datos después.
    """
    archivo.seek(0)
    try:
        libro = zipfile.ZipFile(archivo)
    except zipfile.BadZipFile as error:
        raise ErrorPlanilla("No se pudo leer el archivo Excel: está dañado.") from error
    try:
        ruta = dict(_xlsx_hojas(libro)).get(hoja)
        if ruta is None:
            raise ErrorPlanilla(f"La planilla no tiene una hoja llamada «{hoja}».")
        textos = _TextosCompartidos(libro)
        fechas, fecha_1904 = _xlsx_estilos_fecha(libro)
        with libro.open(ruta) as xml:
            yield from _xlsx_filas(xml, textos, fechas, fecha_1904)
    except (zipfile.BadZipFile, KeyError, SyntaxError, EOFError, zlib.error) as error:
        raise ErrorPlanilla(f"No se pudo leer el archivo Excel: está dañado ({error}).") from error
    finally:
        libro.close()
        archivo.seek(0)


def _patron_filas(prefijo: bytes) -> re.Pattern[bytes]:
    """Filas y celdas, con los atributos en el orden y las comillas con que los escriben
    Excel, LibreOffice y xlsxwriter; lo demás queda en `resto` y se lee aparte.

    Grupos: "row", número de fila, resto de la fila; columna, estilo, tipo, resto de la
    celda, valor de <v> y el contenido que no es sólo un <v> (fórmula, texto en línea).
    """
    p = re.escape(prefijo)
    return re.compile(
        rb"<" + p + rb'(row)(?: r="(\d+)")?([^>]*)>'
        rb"|<" + p + rb'c(?=[\s/>])(?: r="([A-Z]+)\d+")?(?: s="(\d+)")?(?: t="(\w+)")?'
        rb"([^>]*?)(?:/>|>(?:<" + p + rb"v>([^<]*)</" + p + rb"v>)?(.*?)</" + p + rb"c>)",
        re.S,
    )


def _xlsx_filas(
    xml: IO[bytes], textos: "_TextosCompartidos", fechas: dict[bytes, str], fecha_1904: bool
) -> Iterator[tuple[int, list[Celda]]]:
    ancho = 0
    ultima = 0  # la última fila entregada
    numero = 0
    fila: list[Celda] = []
    con_datos = False
    columnas: dict[bytes, int] = {}
    patron: re.Pattern[bytes] | None = None
    datos_textos, finales, cantidad_textos = textos.datos, textos.finales, len(textos.finales)
    for bloque in _bloques_xml(xml, b"row"):
        if patron is None:
            inicio = re.search(rb"<(\w+:)?sheetData[\s/>]", bloque)
            if inicio is None:
                continue  # todavía no empezaron los datos
            patron = _patron_filas(inicio.group(1) or b"")
            dimension = _DIMENSION_COLUMNAS.search(bloque, 0, inicio.start())
            if dimension:
                ancho = indice_columna(dimension.group(1).decode()) + 1
                ancho = ancho if ancho <= COLUMNAS_MAXIMAS else 0
            bloque = bloque[inicio.start() :]
        fin = _FIN_DE_DATOS.search(bloque)
        for es_fila, r, resto_fila, letras, estilo, tipo, resto, valor, contenido in patron.findall(
            bloque[: fin.start()] if fin else bloque
        ):
            if es_fila:
                if con_datos:
                    for vacia in range(ultima + 1, numero):
                        yield vacia, [""] * ancho
                    if len(fila) < ancho:
                        fila.extend([""] * (ancho - len(fila)))
                    yield numero, fila
                    ultima = numero
                if not r and (atributo := _ATRIBUTO_R.search(resto_fila)):
                    r = atributo.group(1)
                numero = int(r) if r else numero + 1
                fila, con_datos = [], False
                continue
            if resto:
                for clave, dato in _ATRIBUTO.findall(resto):
                    if clave == b"r":
                        letras = dato.rstrip(b"0123456789")
                    elif clave == b"s":
                        estilo = dato
                    else:
                        tipo = dato
            if contenido and tipo != b"inlineStr":
                encontrado = _VALOR.search(contenido)
                valor = encontrado.group(1) if encontrado else b""
            celda: Celda
            if tipo == b"s":
                # textos[i] sin la llamada al método: es la celda más común.
                i = int(valor) if valor else cantidad_textos
                celda = (
                    datos_textos[finales[i - 1] if i else 0 : finales[i]].decode()
                    if i < cantidad_textos
                    else ""
                )
            elif not tipo or tipo == b"n":
                if valor:
                    celda = float(valor)
                    if estilo and estilo in fechas:
                        celda = _fecha_excel(celda, fechas[estilo], fecha_1904)
                else:
                    celda = ""
            elif tipo == b"inlineStr":
                celda = _texto_enriquecido(contenido)
            elif tipo == b"b":
                celda = valor == b"1" if valor else ""
            elif tipo == b"e":
                celda = ""  # #DIV/0!, #N/A: calamine también los da vacíos
            elif tipo == b"d" and valor:
                celda = _fecha_iso(_texto_xml(valor))
            else:  # "str": resultado de texto de una fórmula
                celda = _texto_xml(valor)
            if celda != "":
                con_datos = True
            if letras:
                indice = columnas.get(letras)
                if indice is None:
                    indice = columnas[letras] = indice_columna(letras.decode())
                if indice > len(fila):
                    fila.extend([""] * (indice - len(fila)))
                elif indice < len(fila):  # celda repetida o desordenada: gana la última
                    fila[indice] = celda
                    continue
            fila.append(celda)
        if fin:
            break
    if con_datos:
        for vacia in range(ultima + 1, numero):
            yield vacia, [""] * ancho
        if len(fila) < ancho:
            fila.extend([""] * (ancho - len(fila)))
        yield numero, fila


def _bloques_xml(xml: IO[bytes], etiqueta: bytes) -> Iterator[bytes]:
    """El XML en bloques de ~1 MB que terminan justo después de un `</etiqueta>`."""
    resto = b""
    cierre = b""
    while True:
        leido = xml.read(BLOQUE_XML)
        datos = resto + leido if resto else leido
        if not leido:
            if datos:
                yield datos
            return
        # El prefijo de espacio de nombres (`<x:row>`) sale del primer elemento.
        if not cierre and (apertura := re.search(rb"<(\w+:)?" + etiqueta + rb"[\s/>]", datos)):
            cierre = b"</" + (apertura.group(1) or b"") + etiqueta + b">"
        corte = datos.rfind(cierre) if cierre else -1
        if corte < 0:
            resto = datos
            continue
        corte += len(cierre)
        yield datos[:corte]
        resto = datos[corte:]


class _TextosCompartidos:
    """La tabla de textos compartidos en un solo bloque UTF-8 con sus finales.

    Con un millón de descripciones distintas una lista de str ocupa ~3 veces más
    (unos 50 bytes de cabecera por objeto); acá cada texto se decodifica al usarlo.
    """

    def __init__(self, libro: zipfile.ZipFile) -> None:
        self.datos = bytearray()
        self.finales = array("Q")
        try:
            xml = libro.open("xl/sharedStrings.xml")
        except KeyError:
            return
        with xml:
            for bloque in _bloques_xml(xml, b"si"):
                for contenido in _SI.findall(bloque):
                    if contenido[:3] == b"<t>" and contenido[-4:] == b"</t>":
                        texto = contenido[3:-4]
                        if b"<" in texto or b"&" in texto or b"_x" in texto or b"\r" in texto:
                            texto = _texto_enriquecido(contenido).encode()
                    else:
                        texto = _texto_enriquecido(contenido).encode()
                    self.datos += texto
                    self.finales.append(len(self.datos))

    def __getitem__(self, indice: int) -> str:
        if indice >= len(self.finales):
            return ""
        inicio = self.finales[indice - 1] if indice else 0
        return self.datos[inicio : self.finales[indice]].decode()


def _texto_enriquecido(xml: bytes) -> str:
    """El texto visible de un <si> o <is>: todos sus <t>, sin la guía fonética (<rPh>)."""
    if xml[:7] == b"<is><t>" and xml[-9:] == b"</t></is>" and b"<" not in xml[7:-9]:
        return _texto_xml(xml[7:-9])
    if b"rPh" in xml:
        xml = _FONETICA.sub(b"", xml)
    return _texto_xml(b"".join(_TEXTO.findall(xml)))


def _texto_xml(crudo: bytes) -> str:
    texto = crudo.decode()
    if "\r" in texto:  # un parser XML normaliza los fines de línea literales (no &#13;)
        texto = texto.replace("\r\n", "\n").replace("\r", "\n")
    if "&" in texto:
        texto = html.unescape(texto)
    if "_x" in texto:
        texto = _ESCAPE_OOXML.sub(lambda m: chr(int(m.group(1), 16)), texto)
    return texto


def _xlsx_estilos_fecha(libro: zipfile.ZipFile) -> tuple[dict[bytes, str], bool]:
    """Los estilos de celda (índice en cellXfs) con formato de fecha o duración, y si la
    planilla cuenta los días desde 1904."""
    fecha_1904 = False
    for _evento, elemento in iterparse(libro.open("xl/workbook.xml")):
        if _local(elemento.tag) == "workbookPr":
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
            etiqueta = _local(elemento.tag)
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


def _fecha_excel(valor: float, tipo: str, fecha_1904: bool) -> Celda:
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


def _fecha_iso(texto: str) -> Celda:
    try:
        momento = datetime.fromisoformat(texto)
    except ValueError:
        return texto
    return momento.date() if "T" not in texto else momento


# --- XLS BIFF2–BIFF5 sin contenedor OLE (xlrd) -----------------------------------------


def _biff_crudo(archivo: IO[bytes]) -> bool:
    # calamine sólo abre .xls dentro de un contenedor OLE2; los BIFF4 que
    # exportan sistemas viejos no lo tienen, y xlrd sí los lee.
    archivo.seek(0)
    cabecera = archivo.read(8)
    archivo.seek(0)
    return _es_biff_crudo(cabecera)


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


def _xlrd_filas(archivo: IO[bytes], nombre: str) -> Iterator[tuple[int, list[Celda]]]:
    libro = _abrir_xlrd(archivo)
    if nombre not in libro.sheet_names():
        raise ErrorPlanilla(f"La planilla no tiene una hoja llamada «{nombre}».")
    hoja = libro.sheet_by_name(nombre)
    for indice in range(hoja.nrows):
        yield indice + 1, _fila_xlrd(libro, hoja, indice)


# --- ODS que calamine rechaza (lector propio de content.xml) -----------------------------

_ODS_TABLA = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_ODS_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_ODS_TEXTO = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"


def _ods_atributo(elemento: Element, espacio: str, nombre: str) -> str | None:
    return elemento.get(f"{{{espacio}}}{nombre}")


def _ods_texto(elemento: Element) -> str:
    """Texto visible de un párrafo: <text:s c="3"/> son espacios, <text:tab/> un tab."""
    partes = [elemento.text or ""]
    for hijo in elemento:
        etiqueta = _local(hijo.tag)
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
    return "\n".join(_ods_texto(p) for p in celda if _local(p.tag) == "p")


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
            etiqueta = _local(elemento.tag)
            if evento == "end" and etiqueta == "table":
                elemento.clear()
                return
            if evento != "end" or etiqueta != "table-row":
                continue
            fila: list[Celda] = []
            columna = 0
            for celda in elemento:
                if _local(celda.tag) not in ("table-cell", "covered-table-cell"):
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
            if evento == "start" and _local(elemento.tag) == "table":
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


def _ods_vista_previa(archivo: IO[bytes], max_filas: int) -> list[HojaPrevia]:
    hojas = []
    for nombre, filas in _ods_tablas(archivo):
        hoja = HojaPrevia(nombre, total_filas=0)
        numero = 0
        # Se recorre la hoja entera (_ods_tablas la recorre igual para llegar a la siguiente)
        # para saber cuál es su última fila con algo, numerada como en _ods_filas.
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


def _ods_filas(archivo: IO[bytes], nombre: str) -> Iterator[tuple[int, list[Celda]]]:
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


# --- CSV --------------------------------------------------------------------------------


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


def detectar_csv(archivo: IO[bytes]) -> tuple[str, str]:
    """Codificación (UTF-8 con o sin BOM, o cp1252) y delimitador de un CSV."""
    archivo.seek(0)
    muestra = archivo.read(MUESTRA_CSV)
    archivo.seek(0)
    codificacion, texto = _decodificar(muestra)
    return codificacion, _detectar_delimitador(texto)


def _decodificar(muestra: bytes) -> tuple[str, str]:
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


def _es_tabla(texto: str, completo: bool) -> bool:
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
