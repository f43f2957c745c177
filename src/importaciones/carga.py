"""Carga del CSV normalizado a la base con sentencias de conjunto, nunca una consulta por fila.

El CSV se copia a una tabla temporal (COPY en PostgreSQL, un solo
executemany en SQLite) y desde ahí un puñado de sentencias SQL hacen todo:
quitar códigos repetidos (gana la primera fila, la que una persona ve primero
leyendo la lista), comparar con los precios existentes (nuevos, cambiados,
sospechosos, saltos de escala, faltantes), upsert de PrecioDeLista, historial
de precios, entidades relacionadas y las filas que el informe tiene que
mostrar (repetidas, sin código, reparadas, faltantes). El mismo SQL corre en
los dos motores.
"""

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import IO

from django.db import connection

from precios.models import (
    Articulo,
    ArticuloProveedor,
    ArticuloSinRevisar,
    HistorialPrecio,
    PrecioDeLista,
)

from .campos import COLUMNAS_CSV
from .models import CambioRetenido, FilaObservada
from .normalizacion import descripcion_normalizada

TABLA_CRUDA = "tarifario_carga_cruda"
TABLA_CARGA = "tarifario_carga"
BLOQUE_COPY = 1 << 20
# Memoria para ordenar y cruzar en PostgreSQL durante la carga (SET LOCAL: sólo esa
# transacción). Con los 4 MB de fábrica un millón de filas va a disco en cada cruce.
MEMORIA_DE_TRABAJO_PG = "64MB"


# Factores de escala que delatan una columna leída mal (coma decimal, centavos, miles).
SALTOS_DE_ESCALA = (1000, 100, 10, Decimal("0.1"), Decimal("0.01"), Decimal("0.001"))
# Un precio "saltó ×10" si nuevo / anterior cae entre 0,8 × 10 y 1,25 × 10.
MARGEN_DE_SALTO = (Decimal("0.8"), Decimal("1.25"))
# Lo que el informe dice de una repetición cuya descripción es la de otro artículo.
OTRO_ARTICULO = "mismo código, otro artículo"
MUESTRA_FALTANTES = 200
# De a cuántas se guardan las filas repetidas (se comparan sus descripciones en Python).
BLOQUE_REPETIDAS = 5000


class SaltoDeEscala(Exception):
    """La mayoría de los precios cambió ×10, ×100 o ×1000: no se aplica sin confirmar."""

    def __init__(self, factor: Decimal, comparados: int) -> None:
        self.factor = factor
        self.comparados = comparados
        veces = f"{factor:.0f}" if factor >= 1 else f"1/{1 / factor:.0f}"
        super().__init__(
            f"Los precios de esta lista son ×{veces} los de la lista anterior en la mayoría de "
            f"los {comparados} artículos que se repiten. Puede que la columna de precio o la "
            "coma decimal se hayan leído mal. Revisá las columnas, o aplicala igual si el "
            "cambio es real."
        )


@dataclass
class ResultadoCarga:
    filas: int
    repetidos: int
    creados: int
    actualizados: int
    # Ni nuevos, ni actualizados, ni con el precio retenido.
    sin_cambios: int
    sospechosos: int
    faltantes: int
    faltantes_muestra: list[str]


def _tablas() -> dict[str, str]:
    return {
        "cruda": TABLA_CRUDA,
        "carga": TABLA_CARGA,
        "precio": PrecioDeLista._meta.db_table,
        "historial": HistorialPrecio._meta.db_table,
        "articulo": Articulo._meta.db_table,
        "vinculo": ArticuloProveedor._meta.db_table,
        "sin_revisar": ArticuloSinRevisar._meta.db_table,
        "observada": FilaObservada._meta.db_table,
        "retenido": CambioRetenido._meta.db_table,
    }


COLUMNAS_COMPARADAS = (
    "precio",
    "moneda",
    "descripcion",
    "codigo",
    "bulto",
    "iva",
    "codigo_barras",
    "marca",
)
# Columnas que, si cambian, cuentan como "actualizado".
_CAMBIO = " OR ".join(f"p.{columna} <> c.{columna}" for columna in COLUMNAS_COMPARADAS)
# Lo mismo sin el precio: si el precio queda retenido, ¿cambió algo más?
_CAMBIO_SIN_PRECIO = " OR ".join(
    f"p.{columna} <> c.{columna}" for columna in COLUMNAS_COMPARADAS if columna != "precio"
)
_COLUMNAS_PRECIO = (
    "codigo",
    "descripcion",
    "precio",
    "moneda",
    "iva",
    "bulto",
    "marca",
    "codigo_barras",
)
# Un precio que cambió de moneda no se compara con el anterior (U$S 10 → $ 10.500 no es ×1000).
_COMPARABLE = "anterior > 0 AND moneda_anterior = moneda"


def cargar_precios(
    csv_normalizado: IO[bytes],
    proveedor_id: int,
    ahora: datetime,
    archivo_id: int | None = None,
    hoja: str = "",
    verificar_escala: bool = True,
    umbral: Decimal | None = None,
) -> ResultadoCarga:
    """Aplica el CSV a la base. Debe llamarse dentro de una transacción.

    Levanta SaltoDeEscala (antes de tocar nada) si los precios cambiaron de escala
    respecto de la lista anterior y `verificar_escala` está activo. Con `umbral`, un precio
    que cambia más que eso (o ×10, ×100…) no se aplica: queda retenido (CambioRetenido)
    para que una persona lo aplique o lo descarte; el resto de la lista se aplica.
    """
    t = _tablas()
    momento = connection.ops.adapt_datetimefield_value(ahora)
    with connection.cursor() as cursor:
        leidas = _armar_tabla_de_trabajo(cursor, t, csv_normalizado, proveedor_id, hoja, archivo_id)
        if verificar_escala:
            _verificar_escala(cursor, t)
        if umbral is not None:
            _retener_sospechosos(cursor, t, umbral)
        cursor.execute(
            "SELECT COUNT(*), "
            "COALESCE(SUM(CASE WHEN existia THEN 0 ELSE 1 END), 0), "
            "COALESCE(SUM(CASE WHEN cambia THEN 1 ELSE 0 END), 0), "
            "COALESCE(SUM(CASE WHEN precio <> precio_leido THEN 1 ELSE 0 END), 0), "
            "COALESCE(SUM(CASE WHEN existia AND NOT cambia AND precio = precio_leido "
            "THEN 1 ELSE 0 END), 0) "
            f"FROM {t['carga']}"
        )
        filas, creados, actualizados, sospechosos, sin_cambios = cursor.fetchone()
        if archivo_id is not None and sospechosos:
            cursor.execute(
                f"INSERT INTO {t['retenido']} (archivo_id, precio_lista_id, precio_anterior, "
                "precio_nuevo, estado) SELECT %s, precio_id, anterior, precio_leido, %s "
                f"FROM {t['carga']} WHERE precio <> precio_leido",
                [archivo_id, CambioRetenido.Estado.RETENIDO],
            )
        faltantes, faltantes_muestra = _faltantes(cursor, t, proveedor_id, hoja, archivo_id)
        _aplicar(cursor, t, proveedor_id, hoja, momento, archivo_id)
        _sincronizar_relacionadas(cursor, t, momento)
        cursor.execute(f"DROP TABLE {t['carga']}")
    return ResultadoCarga(
        filas,
        leidas - filas,
        creados,
        actualizados,
        sin_cambios,
        sospechosos,
        faltantes,
        faltantes_muestra,
    )


def _armar_tabla_de_trabajo(
    cursor,
    t: dict[str, str],
    csv_normalizado: IO[bytes],
    proveedor_id: int,
    hoja: str,
    archivo_id: int | None,
) -> int:
    """Copia el CSV a una tabla temporal y arma la de trabajo; devuelve las filas leídas.

    Una sola pasada arma la tabla de trabajo: gana la primera fila de cada código, se
    cruza una vez con los precios existentes (id, precio anterior, si algo cambia) y
    los nuevos reciben ya su id. Todo lo que sigue cruza por id, sin volver a buscar
    por código, y sin el chequeo de clave foránea que haría la base fila por fila.
    Las filas repetidas que quedan afuera se guardan para el informe.
    """
    for tabla in (t["cruda"], t["carga"]):
        cursor.execute(f"DROP TABLE IF EXISTS {tabla}")
    cursor.execute(
        f"CREATE TEMP TABLE {t['cruda']} (fila integer, codigo varchar(64), "
        "codigo_clave varchar(64), descripcion varchar(500), precio numeric(18, 6), "
        "moneda varchar(3), bulto integer, iva numeric(6, 4), codigo_barras varchar(32), "
        "marca varchar(120), observacion varchar(12), detalle varchar(300))"
    )
    _copiar_a_tabla_temporal(cursor, csv_normalizado)
    if connection.vendor == "postgresql":
        # Cada cruce de acá en adelante es de conjuntos grandes: hash joins siempre. Con
        # estadísticas viejas de la tabla de precios (recién migrada o recién cargada) el
        # planificador elegía un nested loop sin índice, cuadrático (148 s con 30k filas).
        cursor.execute("SET LOCAL enable_nestloop = off")
        cursor.execute(f"SET LOCAL work_mem = '{MEMORIA_DE_TRABAJO_PG}'")
        cursor.execute(f"ANALYZE {t['cruda']}")
    cursor.execute(
        f"CREATE TEMP TABLE {t['carga']} AS "
        # El CAST le da tipo a la columna: en SQLite, sin tipo, no se usa su índice.
        f"SELECT c.*, CAST(COALESCE(p.id, {_id_nuevo(cursor, t)}) AS bigint) AS precio_id, "
        "p.id IS NOT NULL AS existia, p.precio AS anterior, p.moneda AS moneda_anterior, "
        f"c.precio AS precio_leido, ({_CAMBIO}) AS cambia, "
        f"({_CAMBIO_SIN_PRECIO}) AS cambia_sin_precio, p.hoja <> %s AS otra_hoja "
        "FROM (SELECT *, ROW_NUMBER() OVER "
        f"(PARTITION BY codigo_clave ORDER BY fila) AS orden FROM {t['cruda']}) c "
        f"LEFT JOIN {t['precio']} p ON p.proveedor_id = %s AND p.codigo_clave = c.codigo_clave "
        "WHERE c.orden = 1",
        [hoja, proveedor_id],
    )
    cursor.execute(f"SELECT COUNT(*) FROM {t['cruda']}")
    (leidas,) = cursor.fetchone()
    cursor.execute(f"SELECT COUNT(*) FROM {t['carga']}")
    (filas,) = cursor.fetchone()
    if archivo_id is not None and leidas > filas:
        _guardar_repetidas(cursor, t, archivo_id)
    cursor.execute(f"DROP TABLE {t['cruda']}")
    # "Lo que falta" cruza por id: sin índice, en SQLite es cuadrático.
    cursor.execute(f"CREATE INDEX {t['carga']}_precio ON {t['carga']} (precio_id)")
    if connection.vendor == "postgresql":
        cursor.execute(f"ANALYZE {t['carga']}")
    return leidas


def _faltantes(
    cursor, t: dict[str, str], proveedor_id: int, hoja: str, archivo_id: int | None
) -> tuple[int, list[str]]:
    """Lo que estaba en esta hoja y no vino en la lista nueva: cuántos y una muestra."""
    faltan = (
        f"FROM {t['precio']} p WHERE p.proveedor_id = %s AND p.hoja = %s AND NOT EXISTS "
        f"(SELECT 1 FROM {t['carga']} c WHERE c.precio_id = p.id)"
    )
    cursor.execute(f"SELECT COUNT(*) {faltan}", [proveedor_id, hoja])
    faltantes = cursor.fetchone()[0]
    muestra: list[str] = []
    if faltantes:
        cursor.execute(
            f"SELECT p.codigo {faltan} ORDER BY p.codigo_clave LIMIT {MUESTRA_FALTANTES}",
            [proveedor_id, hoja],
        )
        muestra = [codigo for (codigo,) in cursor.fetchall()]
    if archivo_id is not None:
        _guardar_observadas(cursor, t, archivo_id, faltan, [proveedor_id, hoja])
    return faltantes, muestra


def _aplicar(
    cursor, t: dict[str, str], proveedor_id: int, hoja: str, momento, archivo_id: int | None
) -> None:
    """Actualiza los que cambiaron, da de alta los nuevos y anota el historial."""
    asignaciones = ", ".join(f"{columna} = c.{columna}" for columna in _COLUMNAS_PRECIO)
    cursor.execute(
        # Un artículo que sólo se mudó de hoja no cuenta como actualizado, pero recuerda
        # la hoja nueva: es la que dirá si falta en la próxima lista.
        f"UPDATE {t['precio']} SET {asignaciones}, hoja = %s, "
        "actualizado_en = CASE WHEN c.cambia THEN %s ELSE actualizado_en END "
        f"FROM {t['carga']} c WHERE {t['precio']}.id = c.precio_id "
        "AND (c.cambia OR c.otra_hoja)",
        [hoja, momento],
    )
    columnas = ", ".join(_COLUMNAS_PRECIO)
    cursor.execute(
        f"INSERT INTO {t['precio']} (id, proveedor_id, codigo_clave, {columnas}, hoja, "
        f"creado_en, actualizado_en) SELECT precio_id, %s, codigo_clave, {columnas}, %s, "
        f"%s, %s FROM {t['carga']} WHERE NOT existia",
        [proveedor_id, hoja, momento, momento],
    )
    # Historial: sólo los precios que cambiaron (el primero de cada artículo es su alta).
    cursor.execute(
        f"INSERT INTO {t['historial']} (precio_lista_id, archivo_id, fecha, "
        "precio_anterior, precio_nuevo) "
        f"SELECT precio_id, %s, %s, anterior, precio FROM {t['carga']} "
        "WHERE existia AND anterior <> precio",
        [archivo_id, momento],
    )


def _id_nuevo(cursor, t: dict[str, str]) -> str:
    """La expresión SQL que da el id de cada precio nuevo, ya en la tabla de trabajo.

    PostgreSQL: de la secuencia de la tabla, como un INSERT cualquiera (otra sesión que
    inserte a la vez no choca). SQLite: el siguiente al último usado, contando las filas
    nuevas en orden; la transacción tiene la base tomada para escribir, nadie más inserta.
    """
    if connection.vendor == "postgresql":
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [t["precio"]])
        (secuencia,) = cursor.fetchone()
        return f"nextval('{secuencia}')"
    cursor.execute(
        "SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = %s), 0), "
        f"COALESCE((SELECT MAX(id) FROM {t['precio']}), 0))",
        [t["precio"]],
    )
    (ultimo,) = cursor.fetchone()
    return (
        f"{int(ultimo)} + SUM(CASE WHEN p.id IS NULL THEN 1 ELSE 0 END) "
        "OVER (ORDER BY c.fila ROWS UNBOUNDED PRECEDING)"
    )


def _retener_sospechosos(cursor, t: dict[str, str], umbral: Decimal) -> None:
    """Los precios que cambian más que el umbral, o ×10/×100/×1000, vuelven al anterior en la
    tabla de trabajo (`precio_leido` guarda el de la lista): no se aplican ni van al
    historial, y la fila cuenta como actualizada sólo si cambió otra cosa."""
    desde, hasta = MARGEN_DE_SALTO
    saltos = " OR ".join(
        "(precio >= anterior * %s AND precio <= anterior * %s)" for _factor in SALTOS_DE_ESCALA
    )
    margenes = [v for f in SALTOS_DE_ESCALA for v in (f * desde, f * hasta)]
    cursor.execute(
        f"UPDATE {t['carga']} SET precio = anterior, cambia = cambia_sin_precio "
        f"WHERE existia AND {_COMPARABLE} AND anterior <> precio "
        f"AND (precio > anterior * %s OR precio < anterior * %s OR {saltos})",
        [1 + umbral, 1 - umbral, *margenes],
    )


def _verificar_escala(cursor, t: dict[str, str]) -> None:
    """Si la mayoría de los precios que se repiten saltó ×10/×100/×1000, no se aplica."""
    sumas = ", ".join(
        "COALESCE(SUM(CASE WHEN precio >= anterior * %s AND precio <= anterior * %s "
        "THEN 1 ELSE 0 END), 0)"
        for _factor in SALTOS_DE_ESCALA
    )
    desde, hasta = MARGEN_DE_SALTO
    margen = [v for f in SALTOS_DE_ESCALA for v in (f * desde, f * hasta)]
    cursor.execute(f"SELECT COUNT(*), {sumas} FROM {t['carga']} WHERE {_COMPARABLE}", margen)
    comparados, *por_factor = cursor.fetchone()
    if comparados < 5:
        return
    for factor, cantidad in zip(SALTOS_DE_ESCALA, por_factor, strict=True):
        if cantidad > comparados / 2:
            raise SaltoDeEscala(Decimal(factor), comparados)


def _copiar_a_tabla_temporal(cursor, csv_normalizado: IO[bytes]) -> None:
    columnas = ", ".join(COLUMNAS_CSV)
    if connection.vendor == "postgresql":
        # En CSV un campo vacío sería NULL: los textos vacíos quedan como '' (igual que en SQLite).
        sql = (
            f"COPY {TABLA_CRUDA} ({columnas}) FROM STDIN WITH (FORMAT csv, HEADER true, "
            "FORCE_NOT_NULL (codigo, codigo_clave, descripcion, moneda, codigo_barras, marca, "
            "observacion, detalle))"
        )
        with cursor.cursor.copy(sql) as copia:
            while bloque := csv_normalizado.read(BLOQUE_COPY):
                copia.write(bloque)
        return
    texto = io.TextIOWrapper(csv_normalizado, encoding="utf-8", newline="")
    try:
        lector = csv.reader(texto)
        next(lector, None)
        marcadores = ", ".join(["?"] * len(COLUMNAS_CSV))
        # Un solo executemany alimentado por el lector, en la conexión de sqlite3: el cursor
        # de Django mira la primera fila con itertools.tee, que guarda todas las demás en
        # memoria (~600 MB con un millón de filas).
        with connection.wrap_database_errors:
            connection.connection.executemany(
                f"INSERT INTO {TABLA_CRUDA} ({columnas}) VALUES ({marcadores})", lector
            )
    finally:
        texto.detach()


_COLUMNAS_OBSERVADA = (
    "archivo_id, tipo, fila, codigo, descripcion, precio, moneda, precio_lista_id, detalle"
)


def _guardar_repetidas(cursor, t: dict[str, str], archivo_id: int) -> None:
    """Cada fila con un código que ya vino más arriba, con la fila que quedó.

    Las descripciones se comparan en Python (sin mayúsculas ni acentos, que SQLite no sabe
    quitar): si difieren, el mismo código nombra otro artículo y el informe lo dice.
    """
    # La tabla de trabajo tiene una fila por código (la primera): el cruce busca por código.
    cursor.execute(f"CREATE INDEX {t['carga']}_clave ON {t['carga']} (codigo_clave)")
    cursor.execute(
        "SELECT r.fila, r.codigo, r.descripcion, r.precio, r.moneda, c.precio_id, c.fila, "
        f"c.descripcion FROM {t['cruda']} r JOIN {t['carga']} c "
        "ON c.codigo_clave = r.codigo_clave AND c.fila <> r.fila ORDER BY r.fila"
    )
    while bloque := cursor.fetchmany(BLOQUE_REPETIDAS):
        FilaObservada.objects.bulk_create(_repetida(archivo_id, *fila) for fila in bloque)


def _repetida(
    archivo_id: int,
    fila: int,
    codigo: str,
    descripcion: str,
    precio: Decimal,
    moneda: str,
    precio_id: int,
    fila_que_queda: int,
    descripcion_que_queda: str,
) -> FilaObservada:
    if descripcion_normalizada(descripcion) == descripcion_normalizada(descripcion_que_queda):
        detalle = f"queda la fila {fila_que_queda}"
    else:
        detalle = f"{OTRO_ARTICULO}: queda la fila {fila_que_queda} («{descripcion_que_queda}»)"
    return FilaObservada(
        archivo_id=archivo_id,
        tipo=FilaObservada.Tipo.REPETIDA,
        fila=fila,
        codigo=codigo,
        descripcion=descripcion,
        precio=precio,
        moneda=moneda,
        precio_lista_id=precio_id,
        detalle=detalle[:300],
    )


def _guardar_observadas(
    cursor, t: dict[str, str], archivo_id: int, faltan: str, parametros_faltan: list
) -> None:
    """Las filas sin código, las reparadas y lo que ya no está, en dos sentencias."""
    cursor.execute(
        f"INSERT INTO {t['observada']} ({_COLUMNAS_OBSERVADA}) "
        "SELECT %s, observacion, fila, codigo, descripcion, precio, moneda, precio_id, detalle "
        f"FROM {t['carga']} WHERE observacion <> ''",
        [archivo_id],
    )
    cursor.execute(
        f"INSERT INTO {t['observada']} ({_COLUMNAS_OBSERVADA}) "
        "SELECT %s, %s, NULL, p.codigo, p.descripcion, p.precio, p.moneda, p.id, '' "
        f"{faltan}",
        [archivo_id, FilaObservada.Tipo.FALTANTE, *parametros_faltan],
    )


def _sincronizar_relacionadas(cursor, t: dict[str, str], momento) -> None:
    # Vincular al artículo del local cuando el código de barras coincide
    # (un vínculo hecho a mano por una persona se respeta).
    cursor.execute(
        f"INSERT INTO {t['vinculo']} (precio_lista_id, articulo_id, codigo_proveedor, "
        "descripcion_proveedor, precio, dividir) "
        "SELECT c.precio_id, a.id, c.codigo, c.descripcion, c.precio, false "
        f"FROM {t['carga']} c JOIN {t['articulo']} a ON a.codigo_barras = c.codigo_barras "
        "WHERE c.codigo_barras <> '' "
        "ON CONFLICT (precio_lista_id) DO NOTHING"
    )
    # Los vinculados reflejan el precio y la descripción nuevos.
    cursor.execute(
        f"UPDATE {t['vinculo']} SET codigo_proveedor = c.codigo, "
        "descripcion_proveedor = c.descripcion, precio = c.precio "
        f"FROM {t['carga']} c WHERE c.precio_id = {t['vinculo']}.precio_lista_id "
        f"AND ({t['vinculo']}.precio <> c.precio "
        f"OR {t['vinculo']}.descripcion_proveedor <> c.descripcion "
        f"OR {t['vinculo']}.codigo_proveedor <> c.codigo)"
    )
    # Un precio nuevo sin vínculo queda para que una persona lo revise.
    cursor.execute(
        f"INSERT INTO {t['sin_revisar']} (precio_lista_id, creado_en) "
        f"SELECT c.precio_id, %s FROM {t['carga']} c WHERE NOT c.existia AND NOT EXISTS "
        f"(SELECT 1 FROM {t['vinculo']} v WHERE v.precio_lista_id = c.precio_id)",
        [momento],
    )
    cursor.execute(
        f"DELETE FROM {t['sin_revisar']} WHERE precio_lista_id IN "
        f"(SELECT precio_lista_id FROM {t['vinculo']})"
    )
