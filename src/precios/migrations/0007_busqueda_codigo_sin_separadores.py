"""Búsqueda: el código con separadores también se indexa junto ("FUS-0006" → fus0006).

En el mostrador se escribe "fus0006" y el proveedor lo lista como FUS-0006: el índice
tenía "fus" y "0006", y "fus0006" no es el comienzo de ninguna de las dos. Ahora, si el
código tiene algún carácter fuera de [0-9A-Za-z], también se indexa sin ellos (ver
precios.busqueda.codigo_sin_separadores()). Un código sin separadores no cambia nada.

SQLite: la tabla FTS5 de 0003 era de contenido externo (leía las columnas de
precios_preciodelista) y el código junto no es una columna de esa tabla. Se rehace sin
contenido (content=''), con la columna codigo_compacto que calculan los triggers, y se
llena desde los precios. No es una vista como contenido: SQLite no deja renombrar una
tabla de la que depende una vista, y Django rehace precios_preciodelista (crea, copia,
borra y renombra) en casi todo ALTER. El SQL es el de precios.busqueda, el mismo que usa
reparar_triggers_sqlite(); volver atrás rehace la tabla y los triggers de 0003.

PostgreSQL: las funciones de los triggers de alta y de cambio (0005) agregan el código
junto al final del texto, y la tabla de texto se vuelve a llenar con los índices armados
después (como en 0005: más barato que un UPDATE que reinserta cada fila en el GIN).

Medido con 100.000 precios del bench de búsqueda: 1,2 s en SQLite y 3 s en PostgreSQL (ida
o vuelta); con 1M, unas 10 veces más, con la búsqueda bloqueada mientras tanto (corre en
una transacción). La base de SQLite creció 0,8 % (35,8 → 36,1 MB).
"""

from importlib import import_module

from django.db import migrations

from precios.busqueda import RECONSTRUIR_FTS, SQL_TABLA_FTS, TABLA_FTS, TRIGGERS_FTS

_0003 = import_module("precios.migrations.0003_busqueda")

# --- SQLite --------------------------------------------------------------------------

_BORRAR_FTS = [
    *(f"DROP TRIGGER IF EXISTS {nombre}" for nombre in TRIGGERS_FTS),
    f"DROP TABLE IF EXISTS {TABLA_FTS}",
]
SQLITE = [*_BORRAR_FTS, SQL_TABLA_FTS, *TRIGGERS_FTS.values(), *RECONSTRUIR_FTS]
# La tabla de contenido externo de 0003, sus triggers y 'rebuild'.
SQLITE_REVERSA = [*_BORRAR_FTS, *_0003.SQLITE]

# --- PostgreSQL ------------------------------------------------------------------------

TABLA = "precios_texto_busqueda"
_ACENTUADAS = "áàâäãéèêëíìîïóòôöõúùûüñç"
_SIN_ACENTO = "aaaaaeeeeiiiiooooouuuunc"


def _normalizado(expresion: str, separador: str) -> str:
    """Minúsculas, sin acentos y cada tramo fuera de [a-z0-9] cambiado por `separador`."""
    return (
        f"regexp_replace(translate(lower({expresion}), "
        f"'{_ACENTUADAS}{_ACENTUADAS.upper()}', '{_SIN_ACENTO}{_SIN_ACENTO}'), "
        f"'[^a-z0-9]+', '{separador}', 'g')"
    )


def texto_pg(fila: str, con_codigo_junto: bool) -> str:
    """El texto de 0003/0005 y, con `con_codigo_junto`, el código sin separadores al final.

    Tiene que normalizar igual que precios.busqueda.terminos() y codigo_sin_separadores().
    """
    texto = "' ' || " + _normalizado(
        f"{fila}.codigo || ' ' || {fila}.codigo_clave || ' ' || {fila}.descripcion "
        f"|| ' ' || {fila}.marca",
        " ",
    )
    if not con_codigo_junto:
        return texto
    return (
        f"{texto} || CASE WHEN {fila}.codigo ~ '[^0-9A-Za-z]' "
        f"THEN ' ' || {_normalizado(f'{fila}.codigo', '')} ELSE '' END"
    )


def _funcion(nombre: str, cuerpo: str) -> str:
    """Como en 0005: al terminar vuelca al índice lo pendiente de GIN (ver 0005)."""
    return (
        f"CREATE OR REPLACE FUNCTION {TABLA}_{nombre}() RETURNS trigger LANGUAGE plpgsql AS "
        f"$$ DECLARE filas bigint; BEGIN {cuerpo}; GET DIAGNOSTICS filas = ROW_COUNT; "
        f"IF filas > 0 THEN PERFORM gin_clean_pending_list('{TABLA}_trgm'::regclass); END IF; "
        "RETURN NULL; END $$"
    )


_CAMBIO = " OR ".join(
    f"n.{c} IS DISTINCT FROM v.{c}"
    for c in ("codigo", "codigo_clave", "descripcion", "marca", "proveedor_id")
)


def _postgres(con_codigo_junto: bool) -> list[str]:
    return [
        _funcion(
            "alta",
            f"INSERT INTO {TABLA} (precio_id, proveedor_id, texto) "
            f"SELECT n.id, n.proveedor_id, {texto_pg('n', con_codigo_junto)} FROM nuevos n",
        ),
        _funcion(
            "cambio",
            f"INSERT INTO {TABLA} (precio_id, proveedor_id, texto) "
            f"SELECT n.id, n.proveedor_id, {texto_pg('n', con_codigo_junto)} "
            f"FROM nuevos n JOIN viejos v ON v.id = n.id WHERE {_CAMBIO} "
            "ON CONFLICT (precio_id) DO UPDATE "
            "SET texto = excluded.texto, proveedor_id = excluded.proveedor_id",
        ),
        # Vaciar y volver a llenar sin índices, y armarlos después (ver 0005).
        f"DROP INDEX {TABLA}_trgm",
        f"DROP INDEX {TABLA}_proveedor",
        f"TRUNCATE {TABLA}",
        f"INSERT INTO {TABLA} (precio_id, proveedor_id, texto) "
        f"SELECT p.id, p.proveedor_id, {texto_pg('p', con_codigo_junto)} "
        "FROM precios_preciodelista p",
        f"CREATE INDEX {TABLA}_trgm ON {TABLA} USING gin (texto gin_trgm_ops)",
        f"CREATE INDEX {TABLA}_proveedor ON {TABLA} (proveedor_id)",
        f"ANALYZE {TABLA}",
    ]


def _en(motor: str, sentencias: list[str]):
    def correr(apps, schema_editor):
        if schema_editor.connection.vendor == motor:
            for sentencia in sentencias:
                schema_editor.execute(sentencia, params=None)

    return correr


class Migration(migrations.Migration):
    dependencies = [
        ("precios", "0006_moneda"),
    ]

    operations = [
        migrations.RunPython(
            _en("sqlite", SQLITE), _en("sqlite", SQLITE_REVERSA), elidable=False
        ),
        migrations.RunPython(
            _en("postgresql", _postgres(con_codigo_junto=True)),
            _en("postgresql", _postgres(con_codigo_junto=False)),
            elidable=False,
        ),
    ]
