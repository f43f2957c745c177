"""Corrección a escala (issue «Rendimiento»): qué queda en la base, no cuánto tarda.

Una lista de 200.000 filas con las rarezas que importan (códigos con ceros a la
izquierda, coma decimal, precios ambiguos como `1.234`, códigos repetidos, EAN
compartidos con otro proveedor, filas sin precio o con precio en texto, títulos
de rubro) se importa en una base vacía y después una segunda lista con precios
cambiados, códigos que ya no están y códigos nuevos. Después de cada importación
se compara la tabla ENTERA de precios, el historial, los vínculos con artículos,
los sin revisar y los contadores del informe contra un cálculo independiente en
Python puro, hecho desde lo que el generador sabe de cada fila (no se llama a
código del proyecto para calcular lo esperado: se implementan las reglas
documentadas de `carga.py`, `lector.py` y `normalizacion.py`).

Que la cantidad de consultas no crece con las filas ya lo prueba
`test_procesamiento.py::test_la_cantidad_de_consultas_no_crece_con_las_filas`
(10 contra 1000 filas, mismo número de consultas): acá no se repite.

Sin marcador: pyproject.toml no registra uno para pruebas lentas (navegador,
worker y fallas son otra cosa) y `make test` corre todo igual.
"""

import contextlib
import csv
import io
import json
import os
import sqlite3
import threading
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from random import Random

import pytest
import xlsxwriter
from django.core.management import call_command
from django.db import connection

from importaciones.models import ArchivoPendiente, ConfigImportacion
from importaciones.tests.procesos import manage
from precios.models import (
    Articulo,
    ArticuloProveedor,
    ArticuloSinRevisar,
    HistorialPrecio,
    PrecioDeLista,
)
from proveedores.models import Proveedor

pytestmark = pytest.mark.django_db

FILAS_CSV = 200_000
# XLSX más chico: una fila de XLSX cuesta ~4 veces una de CSV (xlsxwriter en Python puro
# al generarla; la vista previa, la confirmación y el lector la leen entera), y con dos
# listas de 200k el archivo pasaba solo los 60 s por motor en esta máquina de 2 núcleos.
# Lo que agrega el XLSX son los tipos de celda (precios float o int, códigos y EAN
# numéricos, IVA 0.21 o 21): eso no depende del tamaño, y la escala la cubre el CSV.
FILAS_XLSX = 20_000
FILAS_OTRO = 1_000
NOMBRES = ("otro", "primera", "segunda")

ENCABEZADO = ["Cód.", "Descripción", "Marca", "P. Lista", "IVA", "Bulto", "EAN"]
BANNER = [
    ["FERRETERA DEL SUR S.A. - LISTA DE PRECIOS N° 31"],
    ["Precios sin IVA - vigencia 01/09/2024"],
    [],
]
MAPEO = {
    "fila_encabezado": 4,
    "columnas": {
        "codigo": "A",
        "descripcion": "B",
        "marca": "C",
        "precio": "D",
        "iva": "E",
        "bulto": "F",
        "codigo_barras": "G",
    },
    "sin_codigo": False,
}
MARCAS = ("FIXER", "Stanley", "", "Bahco", "Tramontina")
BULTOS = (1, 1, 6, 10, 12, 50)
DESCRIPCIONES = (
    "Tornillo autorroscante {k} mm",
    'Llave  francesa {k}"  cromada ',
    "Mecha widia Ø{k} mm",
    "Pinza pico de loro Nº{k}; caja",
    "Cinta métrica {k} m",
)
IVA_GENERAL = Decimal("0.21")
IVA_REDUCIDO = Decimal("0.105")
CENTAVO = Decimal("0.01")
SEIS_DECIMALES = Decimal("0.000001")
CUATRO_DECIMALES = Decimal("0.0001")
SIN_PRECIO = "sin precio"
NO_NUMERICO = "precio no numérico"
TITULO = "título de rubro o total (sólo texto en la columna de código)"
# Precio que no se puede cargar → motivo del descarte (reglas de normalizacion.py).
PRECIOS_INVALIDOS = (
    ("", SIN_PRECIO),
    ("consultar", SIN_PRECIO),
    ("s/p", SIN_PRECIO),
    ("-", SIN_PRECIO),
    ("A convenir", NO_NUMERICO),
)
MUESTRA_FALTANTES = 200
# Los contadores del informe de cada ArchivoPendiente que se comparan.
CAMPOS_INFORME = (
    "hoja_origen",
    "estado",
    "filas_totales",
    "filas_leidas",
    "filas_validas",
    "filas_descartadas",
    "motivos_descarte",
    "codigos_repetidos",
    "creados",
    "actualizados",
    "sin_cambios",
    "sospechosos",
    "faltantes",
    "faltantes_muestra",
)


# --- Lo que el generador sabe de cada fila ----------------------------------------


# Límites del umbral de cambio sospechoso por defecto (Proveedor.umbral_sospechoso, 30 %).
UMBRAL_BAJA, UMBRAL_SUBA = Decimal("0.7"), Decimal("1.3")


@dataclass(frozen=True, slots=True)
class Valores:
    """Lo que una fila válida tiene que dejar en PrecioDeLista (ya normalizado)."""

    codigo: str
    descripcion: str
    precio: Decimal
    bulto: int
    iva: Decimal
    codigo_barras: str
    marca: str


@dataclass(frozen=True, slots=True)
class Item:
    """Un artículo tal como lo escribe el proveedor (sin normalizar)."""

    codigo: str
    descripcion: str
    precio: Decimal
    bulto: int
    iva: Decimal
    ean: str
    marca: str

    def valores(self) -> Valores:
        # Reglas documentadas: espacios colapsados en códigos y textos, EAN sólo si son
        # 8 a 14 dígitos, bulto 1 si no hay dato, IVA 21 % si la celda está vacía.
        ean = self.ean if self.ean.isascii() and self.ean.isdigit() else ""
        return Valores(
            codigo=" ".join(self.codigo.split()),
            descripcion=" ".join(self.descripcion.split())[:500],
            precio=self.precio,
            bulto=self.bulto,
            iva=self.iva,
            codigo_barras=ean if 8 <= len(ean) <= 14 else "",
            marca=" ".join(self.marca.split())[:120],
        )


@dataclass(frozen=True, slots=True)
class Fila:
    celdas: list
    valores: Valores | None = None  # lo que carga, o
    motivo: str | None = None  # por qué se descarta (ni uno ni otro: fila vacía)


def clave(codigo: str) -> str:
    """Un código de sólo dígitos se compara sin ceros a la izquierda ("0037" == "37")."""
    if codigo and codigo.isascii() and codigo.isdigit():
        return codigo.lstrip("0") or "0"
    return codigo


def _mezcla(k: int, sal: int = 0) -> int:
    """Hash entero barato y determinístico (splitmix64): el artículo k no depende del azar."""
    x = (k * 0x9E3779B97F4A7C15 + sal * 0xBF58476D1CE4E5B9 + 1) & 0xFFFFFFFFFFFFFFFF
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    return x ^ (x >> 31)


def ean_del_otro(j: int) -> str:
    """EAN del artículo j de la lista del otro proveedor (importada antes)."""
    return f"780{j:010d}"


def eans_con_articulo() -> list[str]:
    """Artículos del local: la mitad de los EAN del otro proveedor y algunos propios de TOR."""
    return [ean_del_otro(j) for j in range(0, FILAS_OTRO, 2)] + [
        # k múltiplo de 3 (tiene EAN 779…) y k % 200 == 103 (no lleva el del otro proveedor).
        f"779{k:010d}"
        for k in range(1503, 400_000, 3000)
    ]


def item(k: int, version: int = 1) -> Item | None:
    """El artículo k de la lista de TOR en su versión 1 o 2 (None: ya no está en la 2)."""
    h = _mezcla(k)
    codigo = f"TX-{k}" if k % 10 == 7 else f"{k:07d}"
    if k % 53 == 0:
        codigo = f" {codigo}  "  # espacios alrededor, como en muchos CSV
    if k % 200 in (0, 100):
        ean = ean_del_otro((k // 200) % FILAS_OTRO)  # dos códigos de TOR por cada EAN
    elif k % 37 == 0:
        ean = "S/N"
    elif k % 41 == 0:
        ean = "12345"  # muy corto para ser un EAN
    elif k % 3 == 0:
        ean = f"779{k:010d}"
    else:
        ean = ""
    precio = Decimal(100 + (h >> 8) % 4_999_900) / 100  # 1,00 a 50.000,00
    descripcion = DESCRIPCIONES[h % len(DESCRIPCIONES)].format(k=k)
    marca = MARCAS[(h >> 40) % len(MARCAS)]
    bulto = BULTOS[(h >> 44) % len(BULTOS)]
    iva = IVA_REDUCIDO if (h >> 50) % 7 == 0 else IVA_GENERAL
    if version == 2:
        cambio = _mezcla(k, 2) % 1000
        if cambio < 20:
            return None
        if cambio < 25:
            precio *= 2  # sospechoso: queda retenido (más de +30 %)
        elif cambio < 30:
            precio = (precio * Decimal("0.4")).quantize(CENTAVO) or CENTAVO  # retenido (−60 %)
        elif cambio < 100:
            por_ciento = Decimal(cambio % 20 + 1) / 100 * (1 if cambio % 3 else -1)
            precio = (precio * (1 + por_ciento)).quantize(CENTAVO)
        elif cambio < 120:
            descripcion += " (nuevo envase)"
        elif cambio < 130 and not codigo.strip().startswith("TX"):
            codigo = str(k)  # el mismo código sin ceros: mismo artículo
        elif cambio < 135 and not ean:
            ean = ean_del_otro((k // 7) % FILAS_OTRO & ~1)  # gana un EAN con artículo
        elif cambio < 140:
            marca = "Otra marca"
    return Item(codigo, descripcion, precio, bulto, iva, ean, marca)


def item_nuevo(k: int) -> Item:
    """Un código que aparece recién en la segunda lista."""
    return Item(f"N{k}", f"Novedad {k}", Decimal(1000 + k % 5000) / 100, 1, IVA_GENERAL, "", "")


# --- Cómo escribe cada celda el proveedor -------------------------------------------


def _miles(entero: int) -> str:
    return f"{entero:,}".replace(",", ".")


def precio_en_texto(precio: Decimal, azar: Random) -> str:
    """Coma decimal argentina: 1.234,56 / 1234,5 / $ 1.234,56 / 1.234 (miles, ambiguo)."""
    entero, centavos = divmod(int(precio * 100), 100)
    opcion = azar.random()
    if centavos == 0 and entero >= 1000 and opcion < 0.3:
        return _miles(entero)  # "1.234": la convención de la columna dice que son miles
    texto = f"{_miles(entero) if opcion < 0.6 else entero},{centavos:02d}"
    if opcion > 0.8 and texto.endswith("0"):
        texto = texto[:-1]
    return f"$ {texto}" if opcion > 0.9 else texto


def celdas_csv(articulo: Item, azar: Random, precio: str | None = None) -> list:
    if articulo.iva == IVA_GENERAL:
        iva = azar.choice(("21%", "21", ""))
    else:
        iva = azar.choice(("10,5%", "10,5"))
    if articulo.bulto == 1:
        bulto = azar.choice(("", "1", "x1"))
    else:
        bulto = azar.choice(("x{}", "{} u.", "{} unid.", "Caja x {}")).format(articulo.bulto)
    return [
        articulo.codigo,
        articulo.descripcion,
        articulo.marca,
        precio_en_texto(articulo.precio, azar) if precio is None else precio,
        iva,
        bulto,
        articulo.ean,
    ]


def celdas_xlsx(articulo: Item, azar: Random, precio: str | None = None) -> list:
    codigo = articulo.codigo
    if codigo.isdigit() and not codigo.startswith("0") and azar.random() < 0.5:
        codigo = int(codigo)  # un código numérico escrito como número
    if precio is None:
        opcion = azar.random()
        if opcion < 0.6:
            precio = float(articulo.precio)
        elif opcion < 0.7 and articulo.precio == articulo.precio.to_integral_value():
            precio = int(articulo.precio)
        else:
            precio = precio_en_texto(articulo.precio, azar)
    if articulo.iva == IVA_GENERAL:
        iva = azar.choice((21, 0.21, "21%", None))
    else:
        iva = azar.choice((10.5, 0.105, "10,5%"))
    bulto = articulo.bulto if azar.random() < 0.5 else f"x{articulo.bulto}"
    ean = int(articulo.ean) if articulo.ean.isdigit() else articulo.ean
    return [codigo, articulo.descripcion, articulo.marca, precio, iva, bulto, ean]


def filas_de_lista(
    version: int, filas: int, celdas: Callable[..., list], semilla: int
) -> Iterator[Fila]:
    """Las filas de datos de la lista de TOR (versión 1 o 2), con ruido realista.

    ~1 % de códigos repetidos más adelante (con otro formato de código y otro precio:
    gana la primera; en un cuarto de ellos la repetida además no tiene precio), ~0,5 % de
    filas sin precio o con precio en texto, títulos de rubro y alguna fila vacía. En la
    versión 2, ~2 % de códigos nuevos intercalados y algunos que vienen sólo con
    "consultar" (cuentan como faltantes).
    """
    azar = Random(semilla)
    repetidos: list[tuple[int, int]] = []  # (en qué fila, k), ordenados
    escritas = 0
    k = 0
    fantasma = 0
    while escritas < filas:
        if repetidos and repetidos[0][0] <= escritas:
            _cuando, repetido = repetidos.pop(0)
            base = item(repetido, version)
            codigo = base.codigo.strip()
            if codigo.isdigit():
                codigo = azar.choice((str(int(codigo)), f"00{codigo}"))
            variante = Item(
                codigo,
                base.descripcion + " (repetido)",
                base.precio + CENTAVO * azar.randint(1, 500),
                base.bulto,
                base.iva,
                base.ean,
                base.marca,
            )
            if codigo.isdigit() and azar.random() < 0.25:
                # (sólo con códigos numéricos: una fila toda de textos sería un título)
                texto, motivo = azar.choice(PRECIOS_INVALIDOS)
                yield Fila(celdas(variante, azar, texto), motivo=motivo)
            else:
                yield Fila(celdas(variante, azar), variante.valores())
        elif (sorteo := azar.random()) < 0.004:
            # Fila sin precio usable, con un código que no aparece en otra fila.
            fantasma += 1
            texto, motivo = azar.choice(PRECIOS_INVALIDOS)
            sin_precio = Item(
                f"9{fantasma:07d}", "Consultar stock", CENTAVO, 1, IVA_GENERAL, "", ""
            )
            yield Fila(celdas(sin_precio, azar, texto), motivo=motivo)
        elif sorteo < 0.0045:
            yield Fila(["TORNILLERIA", "", "", "", "", "", ""], motivo=TITULO)
        elif sorteo < 0.0047:
            yield Fila([])  # vacía: no cuenta como leída
            continue
        elif version == 2 and sorteo < 0.025:
            nuevo = item_nuevo(escritas)
            yield Fila(celdas(nuevo, azar), nuevo.valores())
        else:
            k += 1
            articulo = item(k, version)
            if articulo is None:
                continue
            if version == 2 and _mezcla(k, 2) % 1000 in (140, 141, 142) and k % 10 != 7:
                # Viene sin precio: no se carga y cuenta como faltante.
                yield Fila(celdas(articulo, azar, "consultar"), motivo=SIN_PRECIO)
            else:
                yield Fila(celdas(articulo, azar), articulo.valores())
            if azar.random() < 0.01:
                repetidos.append((escritas + azar.randint(1, 3000), k))
                repetidos.sort()
        escritas += 1


def filas_del_otro() -> Iterator[Fila]:
    """La lista del otro proveedor: mismos números de código que TOR, EAN compartidos."""
    for j in range(FILAS_OTRO):
        articulo = Item(
            f"{j:05d}",
            f"Producto del otro {j}",
            Decimal(500 + j),
            1,
            IVA_GENERAL,
            ean_del_otro(j),
            "",
        )
        yield Fila(celdas_csv(articulo, Random(j)), articulo.valores())


# --- Lo que el lector tiene que leer de una lista -----------------------------------


@dataclass
class Lectura:
    leidas: int = 0
    validas: int = 0
    motivos: Counter = field(default_factory=Counter)
    # Clave → valores de la primera fila válida con esa clave (gana la primera).
    primera: dict[str, Valores] = field(default_factory=dict)

    def agregar(self, fila: Fila) -> None:
        if fila.valores is None and fila.motivo is None:
            return
        self.leidas += 1
        if fila.valores is None:
            self.motivos[fila.motivo] += 1
            return
        self.validas += 1
        self.primera.setdefault(clave(fila.valores.codigo), fila.valores)


def escribir_csv(ruta: Path, filas: Iterator[Fila]) -> Lectura:
    """CSV como lo exporta Excel en castellano: cp1252 y punto y coma, escrito en streaming."""
    lectura = Lectura()
    with ruta.open("w", encoding="cp1252", newline="") as destino:
        escritor = csv.writer(destino, delimiter=";", lineterminator="\r\n")
        escritor.writerows([*BANNER, ENCABEZADO])
        for fila in filas:
            escritor.writerow(fila.celdas)
            lectura.agregar(fila)
    return lectura


def escribir_xlsx(ruta: Path, filas: Iterator[Fila]) -> Lectura:
    lectura = Lectura()
    libro = xlsxwriter.Workbook(
        str(ruta),
        {
            "constant_memory": True,
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        },
    )
    hoja = libro.add_worksheet("Lista")
    numero = 0
    for numero, celdas in enumerate([*BANNER, ENCABEZADO]):
        hoja.write_row(numero, 0, celdas)
    for fila in filas:
        numero += 1
        hoja.write_row(numero, 0, fila.celdas)
        lectura.agregar(fila)
    libro.close()
    return lectura


# --- El estado esperado, calculado aparte ---------------------------------------------


@dataclass
class Esperado:
    """Las tablas que tienen que quedar, con fechas como número de importación (1, 2…)."""

    articulos: set[str]
    precios: dict = field(default_factory=dict)  # (prov, clave) → (Valores, hoja, alta, cambio)
    historial: list = field(default_factory=list)
    vinculos: dict = field(default_factory=dict)  # (prov, clave) → EAN del artículo
    sin_revisar: dict = field(default_factory=dict)  # (prov, clave) → importación
    informes: list = field(default_factory=list)
    importaciones: int = 0

    def importar(self, proveedor: str, hoja: str, lectura: Lectura) -> None:
        self.importaciones += 1
        numero = self.importaciones
        # La muestra va por codigo_clave: sorted() de Python es el orden por bytes (SQLite,
        # PostgreSQL con collation C). Con sólo dígitos y "TX-", también el de es_AR/en_US.
        faltan = sorted(
            c
            for (p, c), (_v, h, _a, _c) in self.precios.items()
            if p == proveedor and h == hoja and c not in lectura.primera
        )
        muestra = [self.precios[proveedor, c][0].codigo for c in faltan[:MUESTRA_FALTANTES]]
        creados = actualizados = sospechosos = retenidos_sin_otro_cambio = 0
        for codigo_clave, valores in lectura.primera.items():
            anterior = self.precios.get((proveedor, codigo_clave))
            if anterior is None:
                creados += 1
                self.precios[proveedor, codigo_clave] = (valores, hoja, numero, numero)
                continue
            viejos, _hoja, alta, cambio = anterior
            if not viejos.precio * UMBRAL_BAJA <= valores.precio <= viejos.precio * UMBRAL_SUBA:
                # Más de ±30 % (el umbral por defecto del proveedor): queda retenido con el
                # precio anterior, sin historial, hasta que una persona lo decida.
                sospechosos += 1
                valores = replace(valores, precio=viejos.precio)
                retenidos_sin_otro_cambio += valores == viejos
            if valores != viejos:  # precio, descripción, código, bulto, IVA, EAN o marca
                actualizados += 1
                cambio = numero
            # `hoja` es "de la que vino por última vez" (models.py). Acá cada proveedor tiene
            # una sola hoja, así que da lo mismo si se reescribe también cuando nada cambió.
            self.precios[proveedor, codigo_clave] = (valores, hoja, alta, cambio)
            if valores.precio != viejos.precio:
                self.historial.append(
                    (proveedor, codigo_clave, viejos.precio, valores.precio, numero, numero)
                )
        # Vínculos por código de barras (uno existente se respeta) y lo que queda sin revisar.
        for codigo_clave, valores in lectura.primera.items():
            if valores.codigo_barras in self.articulos:
                self.vinculos.setdefault((proveedor, codigo_clave), valores.codigo_barras)
        for llave in self.precios:
            if llave[0] == proveedor and llave not in self.vinculos:
                self.sin_revisar.setdefault(llave, numero)
        for llave in self.vinculos:
            self.sin_revisar.pop(llave, None)
        self.informes.append(
            {
                "hoja_origen": hoja,
                "estado": "procesado",
                "filas_totales": lectura.leidas,
                "filas_leidas": lectura.leidas,
                "filas_validas": lectura.validas,
                "filas_descartadas": sum(lectura.motivos.values()),
                "motivos_descarte": dict(lectura.motivos),
                "codigos_repetidos": lectura.validas - len(lectura.primera),
                "creados": creados,
                "actualizados": actualizados,
                "sin_cambios": len(lectura.primera)
                - creados
                - actualizados
                - retenidos_sin_otro_cambio,
                "sospechosos": sospechosos,
                "faltantes": len(faltan),
                "faltantes_muestra": muestra,
            }
        )

    def foto(self) -> dict:
        return {
            "precios": {
                llave: (
                    valores.codigo,
                    valores.descripcion,
                    valores.precio.quantize(SEIS_DECIMALES),
                    valores.iva.quantize(CUATRO_DECIMALES),
                    valores.bulto,
                    valores.marca,
                    valores.codigo_barras,
                    hoja,
                    None,
                    alta,
                    cambio,
                )
                for llave, (valores, hoja, alta, cambio) in self.precios.items()
            },
            "historial": sorted(
                (p, c, a.quantize(SEIS_DECIMALES), n.quantize(SEIS_DECIMALES), i, f)
                for p, c, a, n, i, f in self.historial
            ),
            "vinculos": {
                llave: (
                    ean,
                    self.precios[llave][0].codigo,
                    self.precios[llave][0].descripcion,
                    self.precios[llave][0].precio.quantize(SEIS_DECIMALES),
                    None,
                    False,
                )
                for llave, ean in self.vinculos.items()
            },
            "sin_revisar": dict(self.sin_revisar),
            "informes": self.informes,
        }


# --- Lo que quedó en la base (cualquier motor, cualquier conexión DB-API) ------------


def _decimal(valor, decimales: Decimal) -> Decimal | None:
    # SQLite guarda los decimales como REAL o INTEGER; PostgreSQL los da como Decimal.
    return None if valor is None else Decimal(str(valor)).quantize(decimales)


def _json(valor):
    return json.loads(valor) if isinstance(valor, str) else valor


def foto_de_la_base(cursor) -> dict:
    """Todas las tablas que toca una importación, normalizadas para comparar entre motores.

    Las fechas se reemplazan por el número de importación (orden de los archivos) cuyo
    `aplicado_en` coincide, así se comparan bases cargadas en otro momento.
    """
    t = {
        "precio": PrecioDeLista._meta.db_table,
        "proveedor": Proveedor._meta.db_table,
        "historial": HistorialPrecio._meta.db_table,
        "articulo": Articulo._meta.db_table,
        "vinculo": ArticuloProveedor._meta.db_table,
        "sin_revisar": ArticuloSinRevisar._meta.db_table,
        "archivo": ArchivoPendiente._meta.db_table,
    }
    cursor.execute(f"SELECT id, {', '.join(CAMPOS_INFORME)} FROM {t['archivo']} ORDER BY id")
    archivos = cursor.fetchall()
    por_archivo = {fila[0]: numero for numero, fila in enumerate(archivos, 1)}
    por_archivo[None] = None

    def importacion(fecha: str) -> str:
        """El archivo que se aplicó en ese instante (en SQL: no convierte 200k fechas)."""
        return f"(SELECT a.id FROM {t['archivo']} a WHERE a.aplicado_en = {fecha})"

    informes = []
    for fila in archivos:
        informe = dict(zip(CAMPOS_INFORME, fila[1:], strict=True))
        informe["motivos_descarte"] = _json(informe["motivos_descarte"])
        informe["faltantes_muestra"] = _json(informe["faltantes_muestra"])
        informes.append(informe)

    desde_precio = f"FROM {t['precio']} p JOIN {t['proveedor']} pr ON pr.id = p.proveedor_id"
    cursor.execute(
        "SELECT pr.abreviatura, p.codigo_clave, p.codigo, p.descripcion, p.precio, p.iva, "
        f"p.bulto, p.marca, p.codigo_barras, p.hoja, p.stock, {importacion('p.creado_en')}, "
        f"{importacion('p.actualizado_en')} " + desde_precio
    )
    precios = {
        (prov, c): (
            codigo,
            descripcion,
            _decimal(precio, SEIS_DECIMALES),
            _decimal(iva, CUATRO_DECIMALES),
            bulto,
            marca,
            barras,
            hoja,
            stock,
            por_archivo[alta],
            por_archivo[cambio],
        )
        for (
            prov,
            c,
            codigo,
            descripcion,
            precio,
            iva,
            bulto,
            marca,
            barras,
            hoja,
            stock,
            alta,
            cambio,
        ) in cursor
    }
    cursor.execute(
        "SELECT pr.abreviatura, p.codigo_clave, h.precio_anterior, h.precio_nuevo, "
        f"h.archivo_id, {importacion('h.fecha')} FROM {t['historial']} h "
        f"JOIN {t['precio']} p ON p.id = h.precio_lista_id "
        f"JOIN {t['proveedor']} pr ON pr.id = p.proveedor_id"
    )
    historial = sorted(
        (
            prov,
            c,
            _decimal(anterior, SEIS_DECIMALES),
            _decimal(nuevo, SEIS_DECIMALES),
            por_archivo[archivo],
            por_archivo[fecha],
        )
        for prov, c, anterior, nuevo, archivo, fecha in cursor
    )
    cursor.execute(
        "SELECT pr.abreviatura, p.codigo_clave, a.codigo_barras, v.codigo_proveedor, "
        "v.descripcion_proveedor, v.precio, v.stock, v.dividir "
        f"FROM {t['vinculo']} v JOIN {t['articulo']} a ON a.id = v.articulo_id "
        f"JOIN {t['precio']} p ON p.id = v.precio_lista_id "
        f"JOIN {t['proveedor']} pr ON pr.id = p.proveedor_id"
    )
    vinculos = {
        (prov, c): (ean, codigo, descripcion, _decimal(precio, SEIS_DECIMALES), stock, bool(div))
        for prov, c, ean, codigo, descripcion, precio, stock, div in cursor
    }
    cursor.execute(
        f"SELECT pr.abreviatura, p.codigo_clave, {importacion('s.creado_en')} "
        f"FROM {t['sin_revisar']} s "
        f"JOIN {t['precio']} p ON p.id = s.precio_lista_id "
        f"JOIN {t['proveedor']} pr ON pr.id = p.proveedor_id"
    )
    sin_revisar = {(prov, c): por_archivo[alta] for prov, c, alta in cursor}
    return {
        "precios": precios,
        "historial": historial,
        "vinculos": vinculos,
        "sin_revisar": sin_revisar,
        "informes": informes,
    }


def comparar(obtenida: dict, esperada: dict, cual: str) -> None:
    """Igualdad de dos fotos, con un mensaje que dice qué difiere (no 200k filas)."""
    errores = []
    for tabla in ("precios", "vinculos", "sin_revisar"):
        a, b = obtenida[tabla], esperada[tabla]
        if a == b:
            continue
        sobran = sorted(a.keys() - b.keys())
        faltan = sorted(b.keys() - a.keys())
        distintas = sorted(k for k in a.keys() & b.keys() if a[k] != b[k])
        errores.append(
            f"{tabla}: {len(sobran)} de más {sobran[:3]}, {len(faltan)} de menos {faltan[:3]}, "
            f"{len(distintas)} distintas "
            + "; ".join(f"{k}: {a[k]} ≠ {b[k]}" for k in distintas[:3])
        )
    if obtenida["historial"] != esperada["historial"]:
        a, b = Counter(obtenida["historial"]), Counter(esperada["historial"])
        errores.append(
            f"historial: de más {list((a - b).elements())[:3]}, "
            f"de menos {list((b - a).elements())[:3]} ({sum(a.values())} ≠ {sum(b.values())})"
        )
    for numero, (a, b) in enumerate(
        zip(obtenida["informes"], esperada["informes"], strict=False), 1
    ):
        distintos = {k: (a[k], b[k]) for k in b if a.get(k) != b[k]}
        if distintos:
            errores.append(f"informe {numero} (obtenido, esperado): {distintos}")
    if len(obtenida["informes"]) != len(esperada["informes"]):
        errores.append(f"informes: {len(obtenida['informes'])} ≠ {len(esperada['informes'])}")
    assert not errores, f"{cual}:\n" + "\n".join(errores)


def compacta(foto: dict) -> bytes:
    """La foto como líneas ordenadas y comprimidas: ~5 MB en vez de ~100 MB de tuplas.

    Para guardar las de las dos bases hasta compararlas sin ocupar más de un GB.
    """
    lineas = [
        f"{tabla} {llave!r} {valor!r}"
        for tabla in ("precios", "vinculos", "sin_revisar")
        for llave, valor in foto[tabla].items()
    ]
    lineas += [f"historial {fila!r}" for fila in foto["historial"]]
    lineas += [
        f"informe {numero} {json.dumps(informe, sort_keys=True, ensure_ascii=False)}"
        for numero, informe in enumerate(foto["informes"], 1)
    ]
    lineas.sort()
    return zlib.compress("\n".join(lineas).encode(), 1)


def comparar_compactas(a: bytes, b: bytes, cual: str) -> None:
    if a == b:
        return
    lineas_a = set(zlib.decompress(a).decode().split("\n"))
    lineas_b = set(zlib.decompress(b).decode().split("\n"))
    solo_a, solo_b = sorted(lineas_a - lineas_b), sorted(lineas_b - lineas_a)
    pytest.fail(
        f"{cual}: {len(solo_a)} líneas sólo en la primera {solo_a[:5]}, "
        f"{len(solo_b)} sólo en la segunda {solo_b[:5]}"
    )


# --- Las listas, generadas una vez por módulo -----------------------------------------


@dataclass
class Listas:
    otro: Path
    primera: Path
    segunda: Path
    lecturas: dict[str, Lectura]

    def en_orden(self) -> list[tuple[Path, str]]:
        return [(self.otro, "OTRO"), (self.primera, "TOR"), (self.segunda, "TOR")]


@pytest.fixture(scope="module")
def listas_csv(tmp_path_factory) -> Listas:
    carpeta = tmp_path_factory.mktemp("escala-csv")
    rutas = {n: carpeta / f"{n}.csv" for n in ("otro", "primera", "segunda")}
    lecturas = {
        "otro": escribir_csv(rutas["otro"], filas_del_otro()),
        "primera": escribir_csv(rutas["primera"], filas_de_lista(1, FILAS_CSV, celdas_csv, 1)),
        "segunda": escribir_csv(rutas["segunda"], filas_de_lista(2, FILAS_CSV, celdas_csv, 2)),
    }
    return Listas(rutas["otro"], rutas["primera"], rutas["segunda"], lecturas)


def importar(ruta: Path, proveedor: str) -> dict:
    """`manage.py importar_lista ARCHIVO --proveedor X --crear --ahora`; la foto de después."""
    salida = io.StringIO()
    call_command(
        "importar_lista", str(ruta), "--proveedor", proveedor, "--crear", "--ahora", stdout=salida
    )
    assert "✓" in salida.getvalue(), salida.getvalue()
    with connection.cursor() as cursor:
        return foto_de_la_base(cursor)


def crear_articulos() -> None:
    Articulo.objects.bulk_create(
        Articulo(codigo_barras=ean, nombre=f"Artículo {ean}") for ean in eans_con_articulo()
    )


def comprobar_escenario(listas: Listas, hoja: str, compactar: bool = False) -> list[bytes]:
    """Otro proveedor, primera y segunda lista de TOR: compara todo después de cada una.

    Con `compactar`, devuelve la foto compacta de la base después de cada lista.
    """
    esperado = Esperado(set(eans_con_articulo()))
    crear_articulos()
    compactas = []
    for (ruta, proveedor), (nombre, cual) in zip(
        listas.en_orden(),
        (
            ("otro", "la lista del otro proveedor"),
            ("primera", "la primera"),
            ("segunda", "la segunda"),
        ),
        strict=True,
    ):
        foto = importar(ruta, proveedor)
        if compactar:
            compactas.append(compacta(foto))
        esperado.importar(
            proveedor, "CSV" if proveedor == "OTRO" else hoja, listas.lecturas[nombre]
        )
        comparar(foto, esperado.foto(), f"después de {cual}")
    assert ConfigImportacion.objects.get(proveedor__abreviatura="TOR").mapeo() == MAPEO

    # Que el escenario ejercite lo que dice ejercitar (si no, la prueba no probaría nada).
    primera, segunda = foto["informes"][1:]
    assert primera["codigos_repetidos"] > 20 and primera["filas_descartadas"] > 20
    assert set(primera["motivos_descarte"]) == {SIN_PRECIO, NO_NUMERICO, TITULO}
    assert segunda["creados"] > 20 and segunda["actualizados"] > 200
    assert segunda["sospechosos"] > 10 and segunda["faltantes"] > 100
    vinculos = Counter(proveedor for proveedor, _clave in foto["vinculos"])
    assert vinculos["OTRO"] == FILAS_OTRO // 2 and vinculos["TOR"] > 20
    assert any(codigo.startswith("0") for codigo, *_ in foto["precios"].values())
    return compactas


# --- En la pasada de PostgreSQL: el mismo escenario en SQLite, en paralelo ----------


class EnSegundoPlano(threading.Thread):
    def __init__(self, funcion: Callable[[], list[bytes]]) -> None:
        super().__init__(daemon=True)
        self.funcion = funcion
        self.fotos: list[bytes] | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.fotos = self.funcion()
        except BaseException as error:  # noqa: BLE001 - se vuelve a levantar en la prueba
            self.error = error

    def resultado(self) -> list[bytes]:
        self.join()
        if self.error is not None:
            raise self.error
        return self.fotos


def escenario_en_sqlite(listas: Listas, carpeta: Path) -> list[bytes]:
    """El mismo escenario con `manage.py` sobre un archivo SQLite nuevo; foto tras cada lista."""
    base = carpeta / "tarifario.sqlite3"
    entorno = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "core_config.settings_pruebas",
        "DATABASE_URL": f"sqlite:///{base}",
        "DATA_DIR": str(carpeta / "datos"),
    }
    manage(entorno, "migrate", "--noinput", segundos=240)
    with contextlib.closing(sqlite3.connect(base)) as conexion, conexion:
        conexion.executemany(
            f"INSERT INTO {Articulo._meta.db_table} (codigo_barras, nombre, descripcion) "
            "VALUES (?, ?, '')",
            [(ean, f"Artículo {ean}") for ean in eans_con_articulo()],
        )
    fotos = []
    for ruta, proveedor in listas.en_orden():
        manage(
            entorno,
            "importar_lista",
            str(ruta),
            "--proveedor",
            proveedor,
            "--crear",
            "--ahora",
            segundos=240,
        )
        with contextlib.closing(sqlite3.connect(base)) as conexion:
            fotos.append(compacta(foto_de_la_base(conexion.cursor())))
    return fotos


@pytest.fixture(scope="module")
def en_sqlite(request, tmp_path_factory) -> Iterator[EnSegundoPlano | None]:
    """En PostgreSQL arranca el escenario SQLite en otro hilo (y procesos) apenas se pide.

    Lo pide la prueba de 200k: así SQLite importa mientras PostgreSQL importa lo mismo
    en el proceso de pytest (hay 2 núcleos) y la comparación no repite las importaciones.
    """
    if connection.vendor != "postgresql":
        yield None
        return
    listas = request.getfixturevalue("listas_csv")  # en SQLite, ni generarlas
    tarea = EnSegundoPlano(
        lambda: escenario_en_sqlite(listas, tmp_path_factory.mktemp("escala-sqlite"))
    )
    tarea.start()
    yield tarea
    tarea.join()


@pytest.fixture(scope="module")
def fotos_de_la_pasada() -> list[bytes]:
    """Las fotos compactas que dejó la prueba de 200k (vacía si no corrió o no terminó)."""
    return []


def test_lista_csv_de_200_mil_filas_deja_exactamente_lo_esperado(
    listas_csv, en_sqlite, fotos_de_la_pasada
):
    fotos = comprobar_escenario(listas_csv, "CSV", compactar=en_sqlite is not None)
    fotos_de_la_pasada[:] = fotos  # para comparar con SQLite sin volver a importar


def test_lista_xlsx_con_tipos_de_celda_deja_exactamente_lo_esperado(tmp_path):
    rutas = {n: tmp_path / f"{n}.{'csv' if n == 'otro' else 'xlsx'}" for n in NOMBRES}
    listas = Listas(
        otro=rutas["otro"],
        primera=rutas["primera"],
        segunda=rutas["segunda"],
        lecturas={
            "otro": escribir_csv(rutas["otro"], filas_del_otro()),
            "primera": escribir_xlsx(
                rutas["primera"], filas_de_lista(1, FILAS_XLSX, celdas_xlsx, 3)
            ),
            "segunda": escribir_xlsx(
                rutas["segunda"], filas_de_lista(2, FILAS_XLSX, celdas_xlsx, 4)
            ),
        },
    )
    comprobar_escenario(listas, "Lista")


def test_copy_en_postgresql_y_executemany_en_sqlite_dejan_lo_mismo(
    request, en_sqlite, fotos_de_la_pasada
):
    """Mismo archivo, mismos comandos: PostgreSQL (COPY) y SQLite (executemany) coinciden.

    Se comparan todas las tablas que toca la importación y los informes, después de cada
    lista; las fechas, como número de importación.
    """
    if en_sqlite is None:
        pytest.skip("la comparación corre en la pasada de PostgreSQL")
    fotos_postgresql = list(fotos_de_la_pasada)
    if not fotos_postgresql:  # la de 200k no corrió (-k) o falló: se importa acá
        crear_articulos()
        listas = request.getfixturevalue("listas_csv")
        fotos_postgresql = [
            compacta(importar(ruta, proveedor)) for ruta, proveedor in listas.en_orden()
        ]
    fotos_sqlite = en_sqlite.resultado()
    for numero, (postgresql, sqlite) in enumerate(
        zip(fotos_postgresql, fotos_sqlite, strict=True), 1
    ):
        comparar_compactas(postgresql, sqlite, f"PostgreSQL contra SQLite tras la lista {numero}")
