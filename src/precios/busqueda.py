"""Búsqueda del mostrador sobre PrecioDeLista, con índice en los dos motores.

Regla (igual en SQLite y PostgreSQL): la consulta se parte en palabras (hasta
MAX_PALABRAS) y cada una tiene que aparecer en el código, el código sin ceros a la
izquierda, la descripción o la marca **como comienzo de palabra**, sin importar
mayúsculas ni acentos ("torn" encuentra TORNILLO, "termica" encuentra TÉRMICA,
"a00012" encuentra el código A0001234, "37" encuentra el 0037). Una palabra con
signos adentro ("8x1/2", "tor-8x1") se parte igual que el texto guardado y sus
partes tienen que aparecer seguidas. Un código con separadores se encuentra también
escrito junto ("fus0006" encuentra FUS-0006) y una palabra que parece un código con
separadores también encuentra el código junto ("fus-0006" encuentra FUS0006; ver
codigo_junto()). Una palabra de 8 o más dígitos además encuentra el código de barras
exactamente igual.

- SQLite: tabla FTS5 `precios_busqueda` sin contenido propio (tokenizador unicode61
  sin diacríticos, índices de prefijos de 1 y 2 letras), sincronizada por triggers:
  ve también lo que escribe con SQL la carga masiva de importaciones/carga.py. La
  expresión MATCH se arma acá con cada término entre comillas: el texto del usuario
  nunca llega como sintaxis de FTS5. El proveedor también es una columna del índice,
  así "las primeras N coincidencias" se leen del índice sin tocar la tabla.
- PostgreSQL: tabla `precios_texto_busqueda` (fuera de los modelos: sólo existe en
  PostgreSQL) con el proveedor y el texto normalizado (minúsculas, sin acentos, un
  espacio entre palabras) de cada precio, índice GIN de trigramas (pg_trgm) y
  `LIKE '% palabra%'`. La mantienen triggers por sentencia, sólo cuando cambia un texto
  o el proveedor: un cambio de precio no la toca. Es un texto guardado y no un índice
  por expresión porque el índice de trigramas obliga a revisar cada fila candidata:
  recalcular la expresión cuesta ~12 µs por fila.
- Código de barras: índice común (models.py) en los dos motores.

Los índices, las tablas y los triggers los crean las migraciones 0003_busqueda,
0005_busqueda_con_proveedor y 0007_busqueda_codigo_sin_separadores. En SQLite casi todo
ALTER de Django rehace la tabla y se lleva los triggers: reparar_triggers_sqlite() los
vuelve a crear al terminar cada `migrate`.
"""

import logging
import re
import unicodedata

from django.core.paginator import Paginator
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils.functional import cached_property

from .models import PrecioDeLista

logger = logging.getLogger(__name__)

MAX_PALABRAS = 6
# Con más coincidencias no se cuentan ni se ordenan todas: "más de 1.000".
TOPE_DE_RESULTADOS = 1000
# Una palabra de sólo dígitos desde este largo puede ser un EAN-8, UPC, EAN-13 o GTIN-14.
LARGO_MINIMO_EAN = 8

# --- El código sin separadores --------------------------------------------------------

# Un código escrito con separadores ("FUS-0006", "050.007/SDS") también se indexa junto
# ("fus0006", "050007sds"): así "fus0006" lo encuentra, por prefijo como cualquier
# palabra. Los dos motores guardan la forma junta sólo si el código tiene algún carácter
# fuera de [0-9A-Za-z] (si no, ya es una sola palabra). PostgreSQL saca cualquier signo
# (regexp_replace); SQLite no tiene expresiones regulares ni translate() y saca estos, los
# que aparecen en códigos de proveedores, con un replace() por signo (más de ~25 anidados
# desbordan el analizador de SQLite): con otro signo el código queda partido como antes.
SEPARADORES_DE_CODIGO = " -./_,\\#*+:;()'\"°º|&"
# Una palabra de la consulta con separadores se busca también junta si parece un código:
# con algún dígito, al menos estas letras y dígitos, y sin "/" ni "," (1/2, 3/4x1/2, 2,5
# son medidas: "3/4" junto sería "34" y traería los 34 mm).
LARGO_MINIMO_CODIGO_JUNTO = 5


# --- SQLite: tabla FTS5 sin contenido y los triggers que la mantienen ------------------

TABLA_FTS = "precios_busqueda"
# Desde 0007 la tabla FTS5 no tiene contenido (content=''): una columna calculada
# (codigo_compacto) no puede leerse de precios_preciodelista y una vista como contenido
# rompería las migraciones (SQLite no renombra una tabla de la que depende una vista,
# y Django rehace la tabla en casi todo ALTER). Los triggers calculan cada valor.
COLUMNAS_FTS = ("codigo", "codigo_clave", "descripcion", "marca", "codigo_compacto", "proveedor_id")
_COLUMNAS_DE_TEXTO = "{codigo codigo_clave descripcion marca codigo_compacto}"
# Las columnas de precios_preciodelista que el índice sigue.
_COLUMNAS_DEL_PRECIO = ("id", "codigo", "codigo_clave", "descripcion", "marca", "proveedor_id")


def _sin_separadores_sqlite(columna: str) -> str:
    """SQL de codigo_sin_separadores() para SQLite (el tokenizador baja mayúsculas y acentos)."""
    expresion = columna
    for signo in SEPARADORES_DE_CODIGO:
        expresion = f"replace({expresion}, '{signo.replace(chr(39), chr(39) * 2)}', '')"
    return f"CASE WHEN {columna} GLOB '*[^0-9A-Za-z]*' THEN {expresion} ELSE '' END"


def _valores_fts(fila: str) -> str:
    """rowid y las columnas del índice de una fila (new, old o un alias de la tabla)."""
    return ", ".join(
        _sin_separadores_sqlite(f"{fila}.codigo") if c == "codigo_compacto" else f"{fila}.{c}"
        for c in ("id", *COLUMNAS_FTS)
    )


_COLUMNAS = ", ".join(COLUMNAS_FTS)
_CAMBIO = " OR ".join(f"old.{c} IS NOT new.{c}" for c in _COLUMNAS_DEL_PRECIO)
SQL_TABLA_FTS = (
    f"CREATE VIRTUAL TABLE {TABLA_FTS} USING fts5({_COLUMNAS}, content='', "
    "tokenize='unicode61 remove_diacritics 2', prefix='1 2')"
)
TRIGGERS_FTS = {
    f"{TABLA_FTS}_alta": (
        f"CREATE TRIGGER IF NOT EXISTS {TABLA_FTS}_alta AFTER INSERT ON precios_preciodelista "
        f"BEGIN INSERT INTO {TABLA_FTS} (rowid, {_COLUMNAS}) VALUES ({_valores_fts('new')}); END"
    ),
    # Sin contenido, FTS5 borra con los mismos valores que se indexaron: se recalculan.
    f"{TABLA_FTS}_baja": (
        f"CREATE TRIGGER IF NOT EXISTS {TABLA_FTS}_baja AFTER DELETE ON precios_preciodelista "
        f"BEGIN INSERT INTO {TABLA_FTS} ({TABLA_FTS}, rowid, {_COLUMNAS}) "
        f"VALUES ('delete', {_valores_fts('old')}); END"
    ),
    # Sólo si cambió algo indexado: el upsert de la importación reescribe la descripción
    # aunque sólo haya cambiado el precio.
    f"{TABLA_FTS}_cambio": (
        f"CREATE TRIGGER IF NOT EXISTS {TABLA_FTS}_cambio AFTER UPDATE OF "
        f"{', '.join(_COLUMNAS_DEL_PRECIO)} ON precios_preciodelista WHEN {_CAMBIO} BEGIN "
        f"INSERT INTO {TABLA_FTS} ({TABLA_FTS}, rowid, {_COLUMNAS}) "
        f"VALUES ('delete', {_valores_fts('old')}); "
        f"INSERT INTO {TABLA_FTS} (rowid, {_COLUMNAS}) VALUES ({_valores_fts('new')}); END"
    ),
}
# Sin contenido no hay 'rebuild': se vacía y se vuelve a llenar desde la tabla de precios.
RECONSTRUIR_FTS = [
    f"INSERT INTO {TABLA_FTS} ({TABLA_FTS}) VALUES ('delete-all')",
    f"INSERT INTO {TABLA_FTS} (rowid, {_COLUMNAS}) "
    f"SELECT {_valores_fts('p')} FROM precios_preciodelista p",
]


def reparar_triggers_sqlite(using: str = DEFAULT_DB_ALIAS, **_kwargs) -> list[str]:
    """Vuelve a crear los triggers de la búsqueda si faltan, y reconstruye el índice.

    En SQLite casi todo ALTER de Django rehace la tabla (crea una nueva, copia y borra
    la vieja) y los triggers se van con la tabla vieja. Corre después de cada `migrate`
    (señal post_migrate); sin la tabla FTS de 0007 (una base migrada hasta antes, con la
    tabla y los triggers de 0003) o en PostgreSQL no hace nada. Devuelve los triggers que
    recreó.
    """
    conexion = connections[using]
    if conexion.vendor != "sqlite":
        return []
    with transaction.atomic(using=using), conexion.cursor() as cursor:
        nombres = [TABLA_FTS, *TRIGGERS_FTS]
        marcadores = ", ".join(["%s"] * len(nombres))
        cursor.execute(f"SELECT name, sql FROM sqlite_master WHERE name IN ({marcadores})", nombres)
        existentes = dict(cursor.fetchall())
        faltan = [nombre for nombre in TRIGGERS_FTS if nombre not in existentes]
        if existentes.get(TABLA_FTS) != SQL_TABLA_FTS or not faltan:
            return []
        for nombre in faltan:
            cursor.execute(TRIGGERS_FTS[nombre])
        # Lo que se haya escrito mientras faltaban no llegó al índice.
        for sentencia in RECONSTRUIR_FTS:
            cursor.execute(sentencia)
    logger.warning("Búsqueda: se recrearon los triggers %s y se reconstruyó el índice.", faltan)
    return faltan


# --- PostgreSQL: tabla con el texto normalizado -----------------------------------------

# La expresión está en la migración 0007 (texto_pg): un espacio y las palabras del
# código, el código sin ceros, la descripción y la marca en minúsculas, sin acentos y
# separadas por un espacio, así LIKE '% tor 8x1%' es "una palabra que empieza con tor
# seguida de otra que empieza con 8x1"; al final, si el código tiene separadores, el
# código junto (codigo_sin_separadores()). terminos() normaliza la consulta igual.
TABLA_PG = "precios_texto_busqueda"

# --- Consultas ------------------------------------------------------------------------

_NO_ALFANUMERICO = re.compile(r"[^a-z0-9]+")


def terminos(palabra: str) -> list[str]:
    """Las partes de una palabra como las indexan los dos motores: "Caño-1/2" → cano 1 2."""
    sin_acentos = "".join(
        c for c in unicodedata.normalize("NFD", palabra.lower()) if unicodedata.category(c) != "Mn"
    )
    return _NO_ALFANUMERICO.sub(" ", sin_acentos).split()


def codigo_sin_separadores(codigo: str) -> str:
    """La forma junta que indexan los dos motores: "FUS-0006" → "fus0006"; "" si no hay."""
    if re.fullmatch(r"[0-9A-Za-z]*", codigo):
        return ""
    return "".join(terminos(codigo))


def codigo_junto(palabra: str, partes: list[str]) -> str | None:
    """Una palabra de la consulta que parece un código con separadores, junta; si no, None."""
    junto = "".join(partes)
    if (
        len(partes) > 1
        and len(junto) >= LARGO_MINIMO_CODIGO_JUNTO
        and any(c.isdigit() for c in junto)
        and not any(signo in palabra for signo in "/,")
    ):
        return junto
    return None


def palabras_de(consulta: str) -> list[tuple[str, list[str]]]:
    """(palabra tal cual, sus términos); las que son sólo signos no cuentan."""
    salida = []
    for palabra in consulta.split():
        if partes := terminos(palabra):
            salida.append((palabra, partes))
        if len(salida) == MAX_PALABRAS:
            break
    return salida


def es_ean(palabra: str) -> bool:
    return palabra.isascii() and palabra.isdigit() and len(palabra) >= LARGO_MINIMO_EAN


def _frase_fts5(partes: list[str]) -> str:
    # Sólo [a-z0-9] llega acá; igual se escapan las comillas como pide FTS5.
    return '"' + " ".join(partes).replace('"', '""') + '"'


def expresion_fts5(palabras: list[tuple[str, list[str]]], proveedor_id: int | None = None) -> str:
    """MATCH de FTS5: cada palabra como frase con prefijo en el último término.

    Una palabra que parece un código con separadores ("fus-0006") es la frase o el código
    junto ("fus0006", como lo escribió otro proveedor).
    """
    condiciones = []
    for palabra, partes in palabras:
        frase = f"{_frase_fts5(partes)} *"
        if junto := codigo_junto(palabra, partes):
            frase = f"({frase} OR {_frase_fts5([junto])} *)"
        condiciones.append(f"{_COLUMNAS_DE_TEXTO} : {frase}")
    if proveedor_id is not None:
        condiciones.append(f"{{proveedor_id}} : {_frase_fts5([str(proveedor_id)])}")
    return " AND ".join(condiciones)


def _ids_fts5(palabras, proveedor_id: int | None = None, limite: int | None = None) -> RawSQL:
    # ORDER BY rowid + LIMIT: FTS5 entrega en ese orden, así que corta sin leer el resto.
    limitar = f" ORDER BY rowid LIMIT {int(limite)}" if limite else ""
    return RawSQL(
        f"SELECT rowid FROM {TABLA_FTS} WHERE {TABLA_FTS} MATCH %s{limitar}",
        [expresion_fts5(palabras, proveedor_id)],
    )


def buscar_precios(
    consulta: str,
    proveedor_id: int | None = None,
    precios: QuerySet | None = None,
    limite: int | None = None,
) -> QuerySet:
    """La búsqueda del mostrador: la usan la vista (con PaginadorAcotado) y el admin.

    El QuerySet no sale por descripción (eso lo hace PaginadorAcotado con las primeras)
    sino en el orden que es barato cortar: con texto, sin ORDER BY, como las entrega el
    índice (en SQLite, FTS5 por id); sin texto, por proveedor y código (el índice
    único). `limite` avisa que no se van a leer más que esas: en SQLite el corte va
    adentro de la consulta a FTS5, que así no lee el resto de las coincidencias.
    """
    precios = PrecioDeLista.objects.all() if precios is None else precios
    if proveedor_id is not None:
        precios = precios.filter(proveedor_id=proveedor_id)
    palabras = palabras_de(consulta)
    motor = connections[precios.db].vendor
    if not palabras:
        # Por el índice único. Recorrer la tabla hasta juntar `limite` no sirve: los
        # precios de un proveedor están juntos y los del final tardan en aparecer.
        return precios.order_by("proveedor_id", "codigo_clave")
    if motor == "sqlite" and not any(es_ean(palabra) for palabra, _ in palabras):
        # Todo el filtro, también el proveedor, adentro del índice: corta en `limite`.
        ids = _ids_fts5(palabras, proveedor_id, limite)
        return precios.filter(id__in=ids).order_by()
    if motor == "sqlite":
        return _filtrar_sqlite(precios, palabras).order_by()
    if motor == "postgresql":
        return _filtrar_postgres(precios, palabras, proveedor_id).order_by()
    raise NotImplementedError(f"La búsqueda no tiene índice para {motor}.")


def _filtrar_sqlite(precios, palabras) -> QuerySet:
    """Con un EAN entre las palabras: la palabra o el código de barras exacto."""
    if comunes := [(p, partes) for p, partes in palabras if not es_ean(p)]:
        precios = precios.filter(id__in=_ids_fts5(comunes))
    for palabra, partes in palabras:
        if es_ean(palabra):
            precios = precios.filter(
                Q(id__in=_ids_fts5([(palabra, partes)])) | Q(codigo_barras=palabra)
            )
    return precios


def _ids_postgres(palabras, proveedor_id: int | None = None) -> RawSQL:
    # Todas las palabras (y el proveedor) en una sola consulta: el índice de trigramas las
    # cruza (BitmapAnd) sin leer de más.
    condiciones = []
    parametros: list = []
    for palabra, partes in palabras:
        parametros.append("% " + " ".join(partes) + "%")
        if junto := codigo_junto(palabra, partes):
            # Como en SQLite: la frase o el código junto.
            condiciones.append("(texto LIKE %s OR texto LIKE %s)")
            parametros.append(f"% {junto}%")
        else:
            condiciones.append("texto LIKE %s")
    if proveedor_id is not None:
        condiciones.insert(0, "proveedor_id = %s")
        parametros.insert(0, proveedor_id)
    return RawSQL(f"SELECT precio_id FROM {TABLA_PG} WHERE {' AND '.join(condiciones)}", parametros)


def _filtrar_postgres(precios, palabras, proveedor_id: int | None) -> QuerySet:
    if comunes := [(p, partes) for p, partes in palabras if not es_ean(p)]:
        precios = precios.filter(id__in=_ids_postgres(comunes, proveedor_id))
    for palabra, partes in palabras:
        if es_ean(palabra):
            # La palabra o el código de barras exacto, con UNION: un OR entre la
            # subconsulta y codigo_barras hacía recorrer la tabla entera (~130 ms).
            texto = _ids_postgres([(palabra, partes)], proveedor_id)
            ean = RawSQL(
                f"{texto.sql} UNION SELECT id FROM {PrecioDeLista._meta.db_table} "
                "WHERE codigo_barras = %s",
                [*texto.params, palabra],
            )
            precios = precios.filter(id__in=ean)
    return precios


def clave_de_orden(descripcion: str) -> str:
    """Orden alfabético sin mayúsculas ni acentos: "Mecha widia 6" junto a "MECHA WIDIA 6"."""
    # NFD separa la tilde de la letra y el ASCII la descarta (también "°", que no ordena).
    return unicodedata.normalize("NFD", descripcion).encode("ascii", "ignore").decode().lower()


class PaginadorAcotado(Paginator):
    """Pagina las primeras `tope` coincidencias de buscar_precios(), por descripción.

    Una consulta trae id y descripción de hasta `tope + 1` coincidencias (en el orden de
    buscar_precios(): el índice corta ahí), se ordenan acá y cada página trae sólo sus
    filas por id. Así ni un COUNT(*) ni un ORDER BY recorren 100.000 coincidencias. Con
    más de `tope`, `excede` avisa que hay más (la plantilla dice "más de 1.000") y se
    muestran `tope`.
    """

    tope = TOPE_DE_RESULTADOS
    excede = False

    def _check_object_list_is_ordered(self) -> None:
        """El orden es el de clave_de_orden(), acá: el QuerySet no necesita ORDER BY."""

    @cached_property
    def ids(self) -> list[int]:
        # En el orden de buscar_precios(), que es el barato de cortar en tope + 1.
        consulta = self.object_list.values_list("id", "descripcion")[: self.tope + 1]
        if connections[consulta.db].vendor == "postgresql":
            # Un plan en paralelo podría traer otras "primeras" en cada página. (En SQLite
            # nada de transacciones: son IMMEDIATE y esperarían a la importación en curso.)
            with (
                transaction.atomic(using=consulta.db),
                connections[consulta.db].cursor() as cursor,
            ):
                cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
                filas = list(consulta)
        else:
            filas = list(consulta)
        self.excede = len(filas) > self.tope
        filas.sort(key=lambda fila: (clave_de_orden(fila[1]), fila[0]))
        return [pk for pk, _descripcion in filas[: self.tope]]

    @cached_property
    def count(self) -> int:
        return len(self.ids)

    def page(self, number):
        number = self.validate_number(number)
        desde = (number - 1) * self.per_page
        hasta = min(desde + self.per_page, self.count)
        ids = self.ids[desde:hasta]
        por_id = (
            PrecioDeLista.objects.using(self.object_list.db)
            .select_related("proveedor")
            .in_bulk(ids)
        )
        return self._get_page([por_id[pk] for pk in ids if pk in por_id], number, self)
