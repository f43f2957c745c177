"""Carga del CSV normalizado a la base con sentencias de conjunto, nunca una consulta por fila.

El CSV se copia a una tabla temporal (COPY en PostgreSQL, un solo
executemany en SQLite) y desde ahí un puñado de sentencias SQL hacen todo:
quitar códigos repetidos (gana la última fila), contar nuevos y cambiados,
upsert de PrecioDeLista y sincronizar las entidades relacionadas. El mismo
SQL corre en los dos motores.
"""

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from typing import IO

from django.db import connection

from precios.models import Articulo, ArticuloProveedor, ArticuloSinRevisar, PrecioDeLista

COLUMNAS_CSV = (
    "fila",
    "codigo",
    "codigo_clave",
    "descripcion",
    "precio",
    "bulto",
    "iva",
    "codigo_barras",
    "marca",
)
TABLA_CARGA = "tarifario_carga"
BLOQUE_COPY = 1 << 20


@dataclass
class ResultadoCarga:
    filas: int
    repetidos: int
    creados: int
    actualizados: int

    @property
    def sin_cambios(self) -> int:
        return self.filas - self.creados - self.actualizados


def _tablas() -> dict[str, str]:
    return {
        "carga": TABLA_CARGA,
        "precio": PrecioDeLista._meta.db_table,
        "articulo": Articulo._meta.db_table,
        "vinculo": ArticuloProveedor._meta.db_table,
        "sin_revisar": ArticuloSinRevisar._meta.db_table,
    }


# Columnas que, si cambian, cuentan como "actualizado".
_CAMBIO = " OR ".join(
    f"{{precio}}.{columna} <> excluded.{columna}"
    for columna in ("precio", "descripcion", "codigo", "bulto", "iva", "codigo_barras", "marca")
)


def cargar_precios(
    csv_normalizado: IO[bytes], proveedor_id: int, ahora: datetime
) -> ResultadoCarga:
    """Aplica el CSV a la base. Debe llamarse dentro de una transacción."""
    t = _tablas()
    momento = connection.ops.adapt_datetimefield_value(ahora)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {t['carga']}")
        cursor.execute(
            f"CREATE TEMP TABLE {t['carga']} (fila integer, codigo varchar(64), "
            "codigo_clave varchar(64), descripcion varchar(500), precio numeric(18, 6), "
            "bulto integer, iva numeric(6, 4), codigo_barras varchar(32), marca varchar(120))"
        )
        _copiar_a_tabla_temporal(cursor, csv_normalizado)

        cursor.execute(
            f"DELETE FROM {t['carga']} WHERE fila NOT IN "
            f"(SELECT MAX(fila) FROM {t['carga']} GROUP BY codigo_clave)"
        )
        repetidos = max(cursor.rowcount, 0)

        cambio = _CAMBIO.format(precio="p").replace("excluded.", "c.")
        cursor.execute(
            f"SELECT COUNT(*), "
            f"COALESCE(SUM(CASE WHEN p.id IS NULL THEN 1 ELSE 0 END), 0), "
            f"COALESCE(SUM(CASE WHEN p.id IS NOT NULL AND ({cambio}) THEN 1 ELSE 0 END), 0) "
            f"FROM {t['carga']} c LEFT JOIN {t['precio']} p "
            f"ON p.proveedor_id = %s AND p.codigo_clave = c.codigo_clave",
            [proveedor_id],
        )
        filas, creados, actualizados = cursor.fetchone()

        cursor.execute(
            f"INSERT INTO {t['precio']} (proveedor_id, codigo, codigo_clave, descripcion, precio, "
            "iva, bulto, marca, codigo_barras, creado_en, actualizado_en) "
            "SELECT %s, codigo, codigo_clave, descripcion, precio, iva, bulto, marca, "
            f"codigo_barras, %s, %s FROM {t['carga']} WHERE true "
            "ON CONFLICT (proveedor_id, codigo_clave) DO UPDATE SET codigo = excluded.codigo, "
            "descripcion = excluded.descripcion, precio = excluded.precio, iva = excluded.iva, "
            "bulto = excluded.bulto, marca = excluded.marca, "
            "codigo_barras = excluded.codigo_barras, actualizado_en = excluded.actualizado_en "
            f"WHERE {_CAMBIO.format(precio=t['precio'])}",
            [proveedor_id, momento, momento],
        )
        _sincronizar_relacionadas(cursor, t, proveedor_id, momento)
        cursor.execute(f"DROP TABLE {t['carga']}")
    return ResultadoCarga(filas, repetidos, creados, actualizados)


def _copiar_a_tabla_temporal(cursor, csv_normalizado: IO[bytes]) -> None:
    columnas = ", ".join(COLUMNAS_CSV)
    if connection.vendor == "postgresql":
        # En CSV un campo vacío sería NULL: los textos vacíos quedan como '' (igual que en SQLite).
        sql = (
            f"COPY {TABLA_CARGA} ({columnas}) FROM STDIN WITH (FORMAT csv, HEADER true, "
            "FORCE_NOT_NULL (codigo, codigo_clave, descripcion, codigo_barras, marca))"
        )
        with cursor.cursor.copy(sql) as copia:
            while bloque := csv_normalizado.read(BLOQUE_COPY):
                copia.write(bloque)
        return
    texto = io.TextIOWrapper(csv_normalizado, encoding="utf-8", newline="")
    try:
        lector = csv.reader(texto)
        next(lector, None)
        marcadores = ", ".join(["%s"] * len(COLUMNAS_CSV))
        # Un solo executemany alimentado por el lector: memoria constante.
        cursor.executemany(f"INSERT INTO {TABLA_CARGA} ({columnas}) VALUES ({marcadores})", lector)
    finally:
        texto.detach()


def _sincronizar_relacionadas(cursor, t: dict[str, str], proveedor_id: int, momento) -> None:
    # Vincular al artículo del local cuando el código de barras coincide
    # (un vínculo hecho a mano por una persona se respeta).
    cursor.execute(
        f"INSERT INTO {t['vinculo']} (precio_lista_id, articulo_id, codigo_proveedor, "
        "descripcion_proveedor, precio, dividir) "
        "SELECT p.id, a.id, p.codigo, p.descripcion, p.precio, false "
        f"FROM {t['carga']} c "
        f"JOIN {t['precio']} p ON p.proveedor_id = %s AND p.codigo_clave = c.codigo_clave "
        f"JOIN {t['articulo']} a ON a.codigo_barras = c.codigo_barras "
        "WHERE c.codigo_barras <> '' "
        "ON CONFLICT (precio_lista_id) DO NOTHING",
        [proveedor_id],
    )
    # Los vinculados reflejan el precio y la descripción nuevos.
    cursor.execute(
        f"UPDATE {t['vinculo']} SET codigo_proveedor = p.codigo, "
        "descripcion_proveedor = p.descripcion, precio = p.precio "
        f"FROM {t['precio']} p WHERE p.id = {t['vinculo']}.precio_lista_id "
        "AND p.proveedor_id = %s "
        f"AND ({t['vinculo']}.precio <> p.precio "
        f"OR {t['vinculo']}.descripcion_proveedor <> p.descripcion "
        f"OR {t['vinculo']}.codigo_proveedor <> p.codigo)",
        [proveedor_id],
    )
    # Lo que no tiene vínculo queda para que una persona lo revise.
    cursor.execute(
        f"INSERT INTO {t['sin_revisar']} (precio_lista_id, creado_en) "
        f"SELECT p.id, %s FROM {t['precio']} p "
        f"LEFT JOIN {t['vinculo']} v ON v.precio_lista_id = p.id "
        "WHERE p.proveedor_id = %s AND v.id IS NULL "
        "ON CONFLICT (precio_lista_id) DO NOTHING",
        [momento, proveedor_id],
    )
    cursor.execute(
        f"DELETE FROM {t['sin_revisar']} WHERE precio_lista_id IN "
        f"(SELECT precio_lista_id FROM {t['vinculo']})"
    )
