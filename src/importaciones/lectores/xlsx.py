"""XLSX: calamine para las hojas chicas y, para las grandes y la vista previa, un lector
propio del XML de la hoja en streaming, con memoria constante.

Con un parser XML de verdad (expat con callbacks, iterparse) una fila de 4 celdas
pasa por ~20 llamadas a Python: 30–45k filas/s, 4–5 veces más lento que calamine.
El XML de una hoja de SpreadsheetML es muy regular, así que se lee por bloques de
filas completas con expresiones regulares (el trabajo por celda queda en C):
~150k filas/s con memoria constante. Entidades (&amp;), escapes _xHHHH_ y texto
enriquecido se resuelven como lo hace calamine.
"""

import html
import re
import zipfile
import zlib
from array import array
from collections.abc import Iterator
from typing import IO
from xml.etree.ElementTree import iterparse

from . import calamine
from .celdas import (
    COLUMNAS_MAXIMAS,
    Celda,
    ErrorPlanilla,
    HojaPrevia,
    etiqueta_local,
    indice_columna,
)
from .fechas import estilos_fecha, fecha_excel, fecha_iso

# Hojas XLSX con más XML que esto (sin comprimir) se leen en streaming en vez de con
# calamine, que carga la hoja entera: ~3,4 bytes de memoria por byte de XML (615 MB
# con un millón de filas). 32 MB de XML son ~180.000 filas de 4 columnas y ~110 MB
# con calamine; por debajo calamine es más rápido y conoce más rarezas de formato.
UMBRAL_XLSX_STREAMING = 32 * 1024 * 1024

BLOQUE_XML = 1 << 20
_ATRIBUTO = re.compile(rb"""(?:^|\s)(r|s|t)\s*=\s*["']([^"']*)["']""")
_ATRIBUTO_R = re.compile(rb"""(?:^|\s)r\s*=\s*["'](\d+)["']""")
_VALOR = re.compile(rb"<(?:\w+:)?v(?:\s[^>]*)?>([^<]*)</(?:\w+:)?v>")
_TEXTO = re.compile(rb"<(?:\w+:)?t(?:\s[^>]*)?>([^<]*)</(?:\w+:)?t>")
_FONETICA = re.compile(rb"<(?:\w+:)?rPh\b.*?</(?:\w+:)?rPh>", re.S)
_ESCAPE_OOXML = re.compile(r"_x([0-9A-Fa-f]{4})_")
_SI = re.compile(rb"<(?:\w+:)?si>(.*?)</(?:\w+:)?si>|<(?:\w+:)?si\s*/>", re.S)
_DIMENSION_COLUMNAS = re.compile(rb"<(?:\w+:)?dimension ref=[\"'][A-Z]+\d+:([A-Z]+)\d+[\"']")
_FIN_DE_DATOS = re.compile(rb"</(?:\w+:)?sheetData>|<(?:\w+:)?sheetData\s*/>")
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension ref="[A-Z]+\d+:?[A-Z]*(\d*)"')
_FILA_CON_NUMERO = re.compile(rb"""<(?:\w+:)?row\s[^>]*?(?<=\s)r\s*=\s*["'](\d+)["']""")


def hojas(archivo: IO[bytes], max_filas: int) -> list[HojaPrevia]:
    """Las primeras filas de cada hoja con el mismo lector que la importación, sin leer la
    hoja entera (calamine la carga toda: segundos y cientos de MB con un millón de filas)."""
    archivo.seek(0)
    try:
        with zipfile.ZipFile(archivo) as libro:
            fechas, fecha_1904 = estilos_fecha(libro)
            previas = []
            for nombre, ruta in rutas_de_hojas(libro):
                with libro.open(ruta) as xml:
                    filas, completa = _primeras_filas(
                        _filas_xml(xml, _TextosCompartidos.pendientes(), fechas, fecha_1904),
                        max_filas,
                    )
                if completa:
                    total = len(filas)
                else:
                    # La dimensión que declara la hoja (si es menos de lo que ya se vio, está
                    # mal escrita) o, sin ella, la última fila del XML.
                    total = _filas_declaradas(libro, ruta)
                    if not total or total <= max_filas:
                        total = _ultima_fila(libro, ruta)
                previas.append(HojaPrevia(nombre, filas, total))
            _resolver_textos(libro, previas)
    except (zipfile.BadZipFile, KeyError, SyntaxError, EOFError, zlib.error) as error:
        raise ErrorPlanilla("No se pudo leer el archivo Excel: está dañado.") from error
    finally:
        archivo.seek(0)
    return previas


def filas(archivo: IO[bytes], hoja: str) -> Iterator[tuple[int, list[Celda]]]:
    """calamine si la hoja entra cómoda en memoria; si no, el XML en streaming."""
    if _hoja_grande(archivo, hoja):
        yield from filas_en_streaming(archivo, hoja)
    else:
        yield from calamine.filas(archivo, hoja)


def filas_en_streaming(archivo: IO[bytes], hoja: str) -> Iterator[tuple[int, list[Celda]]]:
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
        ruta = dict(rutas_de_hojas(libro)).get(hoja)
        if ruta is None:
            raise ErrorPlanilla(f"La planilla no tiene una hoja llamada «{hoja}».")
        textos = _TextosCompartidos(libro)
        fechas, fecha_1904 = estilos_fecha(libro)
        with libro.open(ruta) as xml:
            yield from _filas_xml(xml, textos, fechas, fecha_1904)
    except (zipfile.BadZipFile, KeyError, SyntaxError, EOFError, zlib.error) as error:
        raise ErrorPlanilla(f"No se pudo leer el archivo Excel: está dañado ({error}).") from error
    finally:
        libro.close()
        archivo.seek(0)


def filas_estimadas(archivo: IO[bytes], hoja: str) -> int | None:
    """La última fila que declara la hoja, sin leerla: para el avance (puede ser aproximada)."""
    archivo.seek(0)
    try:
        with zipfile.ZipFile(archivo) as libro:
            ruta = dict(rutas_de_hojas(libro)).get(hoja)
            return _filas_declaradas(libro, ruta) if ruta else None
    except (zipfile.BadZipFile, KeyError, SyntaxError):
        return None
    finally:
        archivo.seek(0)


def rutas_de_hojas(libro: zipfile.ZipFile) -> list[tuple[str, str]]:
    destinos = {}
    for _evento, elemento in iterparse(libro.open("xl/_rels/workbook.xml.rels")):
        if etiqueta_local(elemento.tag) == "Relationship":
            destino = elemento.get("Target", "")
            destino = destino.lstrip("/") if destino.startswith("/") else f"xl/{destino}"
            destinos[elemento.get("Id")] = destino
    hojas = []
    for _evento, elemento in iterparse(libro.open("xl/workbook.xml")):
        if etiqueta_local(elemento.tag) == "sheet":
            id_relacion = next(
                (
                    valor
                    for clave, valor in elemento.attrib.items()
                    if etiqueta_local(clave) == "id"
                ),
                None,
            )
            destino = destinos.get(id_relacion, "")
            if destino.startswith("xl/worksheets/"):
                hojas.append((elemento.get("name", ""), destino))
    return hojas


def _hoja_grande(archivo: IO[bytes], hoja: str) -> bool:
    archivo.seek(0)
    try:
        with zipfile.ZipFile(archivo) as libro:
            ruta = dict(rutas_de_hojas(libro)).get(hoja)
            return ruta is not None and libro.getinfo(ruta).file_size > UMBRAL_XLSX_STREAMING
    except (zipfile.BadZipFile, KeyError, SyntaxError):
        return False  # que calamine dé el error
    finally:
        archivo.seek(0)


def _filas_declaradas(libro: zipfile.ZipFile, ruta: str) -> int | None:
    """La última fila según el <dimension> del principio de la hoja (lo escribe quien la
    generó: casi siempre está, y casi siempre es cierta)."""
    with libro.open(ruta) as xml:
        encontrado = _DIMENSION.search(xml.read(4096))
    return int(encontrado.group(1)) if encontrado and encontrado.group(1) else None


def _ultima_fila(libro: zipfile.ZipFile, ruta: str) -> int | None:
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


def _primeras_filas(
    filas: Iterator[tuple[int, list[Celda]]], max_filas: int
) -> tuple[list[list[Celda]], bool]:
    """Las primeras `max_filas` filas (las vacías como []), y si con ellas terminó la hoja."""
    primeras: list[list[Celda]] = []
    for numero, fila in filas:
        if numero > max_filas:
            return primeras, False
        primeras.extend([] for _ in range(numero - 1 - len(primeras)))
        while fila and fila[-1] == "":
            fila.pop()  # el relleno hasta el ancho de <dimension>: no es de la vista previa
        primeras.append(fila)
    return primeras, True


def _resolver_textos(libro: zipfile.ZipFile, hojas: list[HojaPrevia]) -> None:
    """Cambia cada índice a la tabla de textos por su texto, leyendo la tabla sólo hasta el
    último que se usa (en una lista de un millón de descripciones, las primeras)."""
    necesarios = [
        celda
        for hoja in hojas
        for fila in hoja.filas
        for celda in fila
        if isinstance(celda, _TextoCompartido)
    ]
    if not necesarios:
        return
    textos = _TextosCompartidos(libro, hasta=max(necesarios))
    for hoja in hojas:
        for fila in hoja.filas:
            for i, celda in enumerate(fila):
                if isinstance(celda, _TextoCompartido):
                    fila[i] = textos[celda]


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


def _filas_xml(
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
                if i < cantidad_textos:
                    celda = datos_textos[finales[i - 1] if i else 0 : finales[i]].decode()
                else:
                    celda = _TextoCompartido(i) if textos.sin_leer and valor else ""
            elif not tipo or tipo == b"n":
                if valor:
                    celda = float(valor)
                    if estilo and estilo in fechas:
                        celda = fecha_excel(celda, fechas[estilo], fecha_1904)
                else:
                    celda = ""
            elif tipo == b"inlineStr":
                celda = _texto_enriquecido(contenido)
            elif tipo == b"b":
                celda = valor == b"1" if valor else ""
            elif tipo == b"e":
                celda = ""  # #DIV/0!, #N/A: calamine también los da vacíos
            elif tipo == b"d" and valor:
                celda = fecha_iso(_texto_xml(valor))
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


class _TextoCompartido(int):
    """Índice a la tabla de textos compartidos, que la vista previa resuelve al final."""


class _TextosCompartidos:
    """La tabla de textos compartidos en un solo bloque UTF-8 con sus finales.

    Con un millón de descripciones distintas una lista de str ocupa ~3 veces más
    (unos 50 bytes de cabecera por objeto); acá cada texto se decodifica al usarlo.
    `hasta` corta la lectura después de ese índice.
    """

    def __init__(self, libro: zipfile.ZipFile | None, hasta: int | None = None) -> None:
        self.datos = bytearray()
        self.finales = array("Q")
        self.sin_leer = libro is None
        if libro is None:
            return
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
                if hasta is not None and len(self.finales) > hasta:
                    return

    @classmethod
    def pendientes(cls) -> "_TextosCompartidos":
        """Una tabla sin leer: las celdas de texto salen como _TextoCompartido."""
        return cls(None)

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
