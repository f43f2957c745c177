"""Carga del CSV normalizado a la base con sentencias de conjunto, nunca una consulta por fila.

El CSV se copia a una tabla temporal (COPY en PostgreSQL, un solo
executemany en SQLite) y desde ahí un puñado de sentencias SQL hacen todo:
quitar códigos repetidos (gana la última fila), comparar con los precios
existentes (nuevos, cambiados, sospechosos, saltos de escala, faltantes),
upsert de PrecioDeLista, historial de precios y entidades relacionadas. El
mismo SQL corre en los dos motores.
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

TABLA_CARGA = "tarifario_carga"
BLOQUE_COPY = 1 << 20


# Factores de escala que delatan una columna leída mal (coma decimal, centavos, miles).
SALTOS_DE_ESCALA = (1000, 100, 10, Decimal("0.1"), Decimal("0.01"), Decimal("0.001"))
# Un cambio de más de ±50 % se marca como sospechoso en el informe.
VARIACION_SOSPECHOSA = Decimal("0.5")
MUESTRA_FALTANTES = 200


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
    sospechosos: int
    faltantes: int
    faltantes_muestra: list[str]

    @property
    def sin_cambios(self) -> int:
        return self.filas - self.creados - self.actualizados


def _tablas() -> dict[str, str]:
    return {
        "carga": TABLA_CARGA,
        "precio": PrecioDeLista._meta.db_table,
        "historial": HistorialPrecio._meta.db_table,
        "articulo": Articulo._meta.db_table,
        "vinculo": ArticuloProveedor._meta.db_table,
        "sin_revisar": ArticuloSinRevisar._meta.db_table,
    }


COLUMNAS_COMPARADAS = ("precio", "descripcion", "codigo", "bulto", "iva", "codigo_barras", "marca")
# Columnas que, si cambian, cuentan como "actualizado".
_CAMBIO = " OR ".join(
    f"{{precio}}.{columna} <> excluded.{columna}" for columna in COLUMNAS_COMPARADAS
)


def cargar_precios(
    csv_normalizado: IO[bytes],
    proveedor_id: int,
    ahora: datetime,
    archivo_id: int | None = None,
    hoja: str = "",
    verificar_escala: bool = True,
) -> ResultadoCarga:
    """Aplica el CSV a la base. Debe llamarse dentro de una transacción.

    Levanta SaltoDeEscala (antes de tocar nada) si los precios cambiaron de escala
    respecto de la lista anterior y `verificar_escala` está activo.
    """
    t = _tablas()
    momento = connection.ops.adapt_datetimefield_value(ahora)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {t['carga']}")
        cursor.execute(
            f"CREATE TEMP TABLE {t['carga']} (fila integer, codigo varchar(64), "
            "codigo_clave varchar(64), descripcion varchar(500), precio numeric(18, 6), "
            "bulto integer, iva numeric(6, 4), codigo_barras varchar(32), marca varchar(120), "
            "anterior numeric(18, 6), existia boolean, cambia boolean)"
        )
        _copiar_a_tabla_temporal(cursor, csv_normalizado)
        # Todo lo que sigue cruza por código: sin índice, "lo que falta" es cuadrático.
        cursor.execute(f"CREATE INDEX {t['carga']}_clave ON {t['carga']} (codigo_clave)")
        if connection.vendor == "postgresql":
            cursor.execute(f"ANALYZE {t['carga']}")

        # Gana la última fila de cada código. Con EXISTS y el índice por código es lineal;
        # un NOT IN (SELECT MAX…) que no entra en work_mem se vuelve cuadrático en PostgreSQL.
        cursor.execute(
            f"DELETE FROM {t['carga']} WHERE EXISTS (SELECT 1 FROM {t['carga']} posterior "
            f"WHERE posterior.codigo_clave = {t['carga']}.codigo_clave "
            f"AND posterior.fila > {t['carga']}.fila)"
        )
        repetidos = max(cursor.rowcount, 0)

        # Una sola pasada contra los precios existentes: precio anterior y si algo cambia.
        cambio = _CAMBIO.format(precio="p").replace("excluded.", f"{t['carga']}.")
        cursor.execute(
            f"UPDATE {t['carga']} SET anterior = p.precio, existia = true, cambia = ({cambio}) "
            f"FROM {t['precio']} p "
            f"WHERE p.proveedor_id = %s AND p.codigo_clave = {t['carga']}.codigo_clave",
            [proveedor_id],
        )
        cursor.execute(
            "SELECT COUNT(*), "
            "COALESCE(SUM(CASE WHEN existia IS NULL THEN 1 ELSE 0 END), 0), "
            "COALESCE(SUM(CASE WHEN cambia THEN 1 ELSE 0 END), 0), "
            "COALESCE(SUM(CASE WHEN anterior > 0 AND anterior <> precio AND "
            "(precio > anterior * %s OR precio < anterior * %s) THEN 1 ELSE 0 END), 0) "
            f"FROM {t['carga']}",
            [1 + VARIACION_SOSPECHOSA, 1 - VARIACION_SOSPECHOSA],
        )
        filas, creados, actualizados, sospechosos = cursor.fetchone()
        if verificar_escala:
            _verificar_escala(cursor, t)

        # Lo que estaba en esta hoja y no vino en la lista nueva.
        faltan = (
            f"FROM {t['precio']} p WHERE p.proveedor_id = %s AND p.hoja = %s AND NOT EXISTS "
            f"(SELECT 1 FROM {t['carga']} c WHERE c.codigo_clave = p.codigo_clave)"
        )
        cursor.execute(f"SELECT COUNT(*) {faltan}", [proveedor_id, hoja])
        faltantes = cursor.fetchone()[0]
        cursor.execute(
            f"SELECT p.codigo {faltan} ORDER BY p.codigo_clave LIMIT {MUESTRA_FALTANTES}",
            [proveedor_id, hoja],
        )
        faltantes_muestra = [codigo for (codigo,) in cursor.fetchall()]

        cursor.execute(
            f"INSERT INTO {t['precio']} (proveedor_id, codigo, codigo_clave, descripcion, precio, "
            "iva, bulto, marca, codigo_barras, hoja, creado_en, actualizado_en) "
            "SELECT %s, codigo, codigo_clave, descripcion, precio, iva, bulto, marca, "
            f"codigo_barras, %s, %s, %s FROM {t['carga']} WHERE true "
            "ON CONFLICT (proveedor_id, codigo_clave) DO UPDATE SET codigo = excluded.codigo, "
            "descripcion = excluded.descripcion, precio = excluded.precio, iva = excluded.iva, "
            "bulto = excluded.bulto, marca = excluded.marca, "
            "codigo_barras = excluded.codigo_barras, hoja = excluded.hoja, "
            "actualizado_en = excluded.actualizado_en "
            f"WHERE {_CAMBIO.format(precio=t['precio'])}",
            [proveedor_id, hoja, momento, momento],
        )
        # Historial: sólo los precios que cambiaron (el primero de cada artículo es su alta).
        cursor.execute(
            f"INSERT INTO {t['historial']} (precio_lista_id, archivo_id, fecha, "
            "precio_anterior, precio_nuevo) "
            f"SELECT p.id, %s, %s, c.anterior, c.precio FROM {t['carga']} c "
            f"JOIN {t['precio']} p ON p.proveedor_id = %s AND p.codigo_clave = c.codigo_clave "
            "WHERE c.anterior <> c.precio",
            [archivo_id, momento, proveedor_id],
        )
        _sincronizar_relacionadas(cursor, t, proveedor_id, momento)
        cursor.execute(f"DROP TABLE {t['carga']}")
    return ResultadoCarga(
        filas, repetidos, creados, actualizados, sospechosos, faltantes, faltantes_muestra
    )


def _verificar_escala(cursor, t: dict[str, str]) -> None:
    """Si la mayoría de los precios que se repiten saltó ×10/×100/×1000, no se aplica."""
    sumas = ", ".join(
        "COALESCE(SUM(CASE WHEN precio >= anterior * %s AND precio <= anterior * %s "
        "THEN 1 ELSE 0 END), 0)"
        for _factor in SALTOS_DE_ESCALA
    )
    margen = [v for f in SALTOS_DE_ESCALA for v in (f * Decimal("0.8"), f * Decimal("1.25"))]
    cursor.execute(f"SELECT COUNT(*), {sumas} FROM {t['carga']} WHERE anterior > 0", margen)
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
