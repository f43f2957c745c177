"""Índices de la búsqueda del mostrador (ver precios/busqueda.py).

SQLite: tabla FTS5 de contenido externo sobre precios_preciodelista y los triggers
que la mantienen al día con cualquier INSERT/UPDATE/DELETE, también los de la carga
masiva en SQL (importaciones/carga.py). Al migrar una base con datos se llena con
'rebuild'. Si una migración posterior rehace la tabla (en SQLite casi todo ALTER lo
hace) los triggers se pierden: precios.busqueda.reparar_triggers_sqlite() los vuelve
a crear al terminar `migrate`. (0007 reemplaza esta tabla FTS5 y sus triggers.)

PostgreSQL: extensión pg_trgm (es "trusted": alcanza con ser dueño de la base), la
tabla precios_texto_busqueda (fuera de los modelos de Django) con su índice GIN de
trigramas y los triggers por sentencia que la mantienen.

En los dos: índice sobre el código de barras (EAN exacto).

Con 1M de precios: en SQLite ~15 s; en PostgreSQL ~1 min (llena la tabla y arma el
índice).
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations, models

# El SQL de esta migración, congelado: hasta 0007 vivía en precios.busqueda (que ahora
# tiene el de 0007_busqueda_codigo_sin_separadores). 0007 lo usa para volver atrás.
TABLA_FTS = "precios_busqueda"
TABLA_PG = "precios_texto_busqueda"
COLUMNAS_FTS = ("codigo", "codigo_clave", "descripcion", "marca", "proveedor_id")
_COLUMNAS = ", ".join(COLUMNAS_FTS)
_NUEVOS = ", ".join(f"new.{c}" for c in ("id", *COLUMNAS_FTS))
_VIEJOS = ", ".join(f"old.{c}" for c in ("id", *COLUMNAS_FTS))
_CAMBIO = " OR ".join(f"old.{c} IS NOT new.{c}" for c in ("id", *COLUMNAS_FTS))
SQL_TABLA_FTS = (
    f"CREATE VIRTUAL TABLE {TABLA_FTS} USING fts5({_COLUMNAS}, "
    "content='precios_preciodelista', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 2', prefix='1 2')"
)
TRIGGERS_FTS = {
    f"{TABLA_FTS}_alta": (
        f"CREATE TRIGGER IF NOT EXISTS {TABLA_FTS}_alta AFTER INSERT ON precios_preciodelista "
        f"BEGIN INSERT INTO {TABLA_FTS} (rowid, {_COLUMNAS}) VALUES ({_NUEVOS}); END"
    ),
    f"{TABLA_FTS}_baja": (
        f"CREATE TRIGGER IF NOT EXISTS {TABLA_FTS}_baja AFTER DELETE ON precios_preciodelista "
        f"BEGIN INSERT INTO {TABLA_FTS} ({TABLA_FTS}, rowid, {_COLUMNAS}) "
        f"VALUES ('delete', {_VIEJOS}); END"
    ),
    # Sólo si cambió algo indexado: el upsert de la importación reescribe la descripción
    # aunque sólo haya cambiado el precio.
    f"{TABLA_FTS}_cambio": (
        f"CREATE TRIGGER IF NOT EXISTS {TABLA_FTS}_cambio AFTER UPDATE OF id, {_COLUMNAS} "
        f"ON precios_preciodelista WHEN {_CAMBIO} BEGIN "
        f"INSERT INTO {TABLA_FTS} ({TABLA_FTS}, rowid, {_COLUMNAS}) VALUES ('delete', {_VIEJOS}); "
        f"INSERT INTO {TABLA_FTS} (rowid, {_COLUMNAS}) VALUES ({_NUEVOS}); END"
    ),
}
SQL_RECONSTRUIR_FTS = f"INSERT INTO {TABLA_FTS} ({TABLA_FTS}) VALUES ('rebuild')"


class RunSQLEn(migrations.RunSQL):
    """RunSQL que sólo corre en un motor (connection.vendor)."""

    def __init__(self, motor, *args, **kwargs):
        self.motor = motor
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        nombre, args, kwargs = super().deconstruct()
        return nombre, [self.motor, *args], kwargs

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == self.motor:
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == self.motor:
            super().database_backwards(app_label, schema_editor, from_state, to_state)


# Hasta 0007, el mismo SQL que usaba precios.busqueda.reparar_triggers_sqlite() cuando una
# migración posterior rehacía la tabla y se llevaba los triggers.
SQLITE = [SQL_TABLA_FTS, *TRIGGERS_FTS.values(), SQL_RECONSTRUIR_FTS]
SQLITE_REVERSA = [
    *(f"DROP TRIGGER IF EXISTS {nombre}" for nombre in TRIGGERS_FTS),
    f"DROP TABLE {TABLA_FTS}",
]

# Tiene que normalizar igual que precios.busqueda.terminos(). translate() recibe también
# las mayúsculas acentuadas por si la base tiene collation "C" (lower() sólo baja ASCII).
_ACENTUADAS = "áàâäãéèêëíìîïóòôöõúùûüñç"
_SIN_ACENTO = "aaaaaeeeeiiiiooooouuuunc"


def texto_pg(fila: str) -> str:
    return (
        f"' ' || regexp_replace(translate(lower({fila}.codigo || ' ' || {fila}.codigo_clave "
        f"|| ' ' || {fila}.descripcion || ' ' || {fila}.marca), "
        f"'{_ACENTUADAS}{_ACENTUADAS.upper()}', '{_SIN_ACENTO}{_SIN_ACENTO}'), "
        "'[^a-z0-9]+', ' ', 'g')"
    )


# El texto vive en su propia tabla y no en una columna de precios: un cambio de precio
# reescribe la fila entera, y con el índice de trigramas en la misma tabla cada precio
# cambiado pagaba ~40 entradas de GIN (42 s con un millón de cambios, contra ~7 s).
# Triggers por sentencia con tablas de transición: una sola pasada por cada INSERT,
# UPDATE o DELETE, también los de la carga masiva, y sólo si cambió algún texto.
_TABLA = TABLA_PG
_CAMBIO_DE_TEXTO = " OR ".join(
    f"n.{c} IS DISTINCT FROM v.{c}" for c in ("codigo", "codigo_clave", "descripcion", "marca")
)
_FUNCIONES = {
    "alta": f"INSERT INTO {_TABLA} (precio_id, texto) SELECT n.id, {texto_pg('n')} FROM nuevos n",
    "cambio": (
        f"INSERT INTO {_TABLA} (precio_id, texto) SELECT n.id, {texto_pg('n')} "
        f"FROM nuevos n JOIN viejos v ON v.id = n.id WHERE {_CAMBIO_DE_TEXTO} "
        "ON CONFLICT (precio_id) DO UPDATE SET texto = excluded.texto"
    ),
    "baja": f"DELETE FROM {_TABLA} WHERE precio_id IN (SELECT id FROM viejos)",
}
_EVENTOS = {
    "alta": "INSERT ON precios_preciodelista REFERENCING NEW TABLE AS nuevos",
    "cambio": "UPDATE ON precios_preciodelista REFERENCING OLD TABLE AS viejos NEW TABLE AS nuevos",
    "baja": "DELETE ON precios_preciodelista REFERENCING OLD TABLE AS viejos",
}
POSTGRES = [
    f"CREATE TABLE {_TABLA} (precio_id bigint PRIMARY KEY, texto text NOT NULL)",
    f"CREATE INDEX {_TABLA}_trgm ON {_TABLA} USING gin (texto gin_trgm_ops)",
    *(
        f"CREATE FUNCTION {_TABLA}_{nombre}() RETURNS trigger LANGUAGE plpgsql AS "
        f"$$ BEGIN {sql}; RETURN NULL; END $$"
        for nombre, sql in _FUNCIONES.items()
    ),
    *(
        f"CREATE TRIGGER {_TABLA}_{nombre} AFTER {evento} FOR EACH STATEMENT "
        f"EXECUTE FUNCTION {_TABLA}_{nombre}()"
        for nombre, evento in _EVENTOS.items()
    ),
    f"INSERT INTO {_TABLA} (precio_id, texto) "
    f"SELECT p.id, {texto_pg('p')} FROM precios_preciodelista p",
    # Con el histograma por defecto (100) el planificador cree que "piano" está en el 3 %
    # de las filas, elige recorrer la tabla hasta juntar 1.000 y lee 230.000 (~120 ms).
    # Con 1.000 estima bien las palabras frecuentes y las raras.
    f"ALTER TABLE {_TABLA} ALTER COLUMN texto SET STATISTICS 1000",
    f"ANALYZE {_TABLA}",
]
POSTGRES_REVERSA = [
    *(f"DROP TRIGGER {_TABLA}_{nombre} ON precios_preciodelista" for nombre in _EVENTOS),
    *(f"DROP FUNCTION {_TABLA}_{nombre}()" for nombre in _FUNCIONES),
    f"DROP TABLE {_TABLA}",
]


class Migration(migrations.Migration):

    dependencies = [
        ("precios", "0002_preciodelista_hoja_historialprecio"),
    ]

    operations = [
        TrigramExtension(),
        RunSQLEn("sqlite", SQLITE, SQLITE_REVERSA, elidable=False),
        RunSQLEn("postgresql", POSTGRES, POSTGRES_REVERSA, elidable=False),
        migrations.AddIndex(
            model_name="preciodelista",
            index=models.Index(fields=["codigo_barras"], name="precio_por_codigo_barras"),
        ),
    ]
