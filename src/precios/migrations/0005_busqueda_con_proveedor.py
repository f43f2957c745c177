"""PostgreSQL: el proveedor también en la tabla de texto de la búsqueda (ver 0003).

Con el filtro por proveedor, la búsqueda tenía que traer todas las coincidencias de la
tabla de texto y recién después descartar las de otros proveedores: "tornill fix" en
un proveedor chico eran 19.000 filas leídas por id para quedarse con 559 (~130 ms con
1M de precios). Con el proveedor al lado del texto el filtro va adentro de la misma
consulta al índice.

Se rehace la tabla (más barato que un UPDATE de cada fila, que reinsertaría todo en el
índice de trigramas) y los índices se arman después de llenarla. También se vacía con
un TRUNCATE de precios. En SQLite no hace nada: ahí el proveedor ya es una columna de
la tabla FTS5 y no hay TRUNCATE (un DELETE dispara los triggers).
"""

from django.db import migrations

TABLA = "precios_texto_busqueda"
_ACENTUADAS = "áàâäãéèêëíìîïóòôöõúùûüñç"
_SIN_ACENTO = "aaaaaeeeeiiiiooooouuuunc"


def texto_pg(fila: str) -> str:
    """La misma normalización que 0003 (y que precios.busqueda.terminos())."""
    return (
        f"' ' || regexp_replace(translate(lower({fila}.codigo || ' ' || {fila}.codigo_clave "
        f"|| ' ' || {fila}.descripcion || ' ' || {fila}.marca), "
        f"'{_ACENTUADAS}{_ACENTUADAS.upper()}', '{_SIN_ACENTO}{_SIN_ACENTO}'), "
        "'[^a-z0-9]+', ' ', 'g')"
    )


def _funcion(nombre: str, cuerpo: str, limpiar: bool = False) -> str:
    """Función de trigger; con `limpiar`, vuelca al índice lo pendiente de GIN al terminar.

    Con fastupdate (el valor por defecto) GIN junta las altas en una lista pendiente de
    hasta 4 MB que cada búsqueda recorre entera: después de una importación las búsquedas
    tardaban 20-55 ms más hasta que pasara el autovacuum (que en una tabla de 1M de filas
    espera ~200.000 altas). Volcarla al final de cada sentencia cuesta ~50 ms.
    """
    if limpiar:
        cuerpo = (
            f"{cuerpo}; GET DIAGNOSTICS filas = ROW_COUNT; IF filas > 0 THEN "
            f"PERFORM gin_clean_pending_list('{TABLA}_trgm'::regclass); END IF"
        )
    return (
        f"CREATE OR REPLACE FUNCTION {TABLA}_{nombre}() RETURNS trigger LANGUAGE plpgsql AS "
        f"$$ DECLARE filas bigint; BEGIN {cuerpo}; RETURN NULL; END $$"
    )


def _rehacer(con_proveedor: bool) -> list[str]:
    columnas = "precio_id, proveedor_id, texto" if con_proveedor else "precio_id, texto"
    nuevos = "n.id, n.proveedor_id" if con_proveedor else "n.id"
    cambio = " OR ".join(
        f"n.{c} IS DISTINCT FROM v.{c}"
        for c in ("codigo", "codigo_clave", "descripcion", "marca")
        + (("proveedor_id",) if con_proveedor else ())
    )
    actualizar = "texto = excluded.texto" + (
        ", proveedor_id = excluded.proveedor_id" if con_proveedor else ""
    )
    return [
        f"DROP TABLE {TABLA}",
        f"CREATE TABLE {TABLA} (precio_id bigint PRIMARY KEY, "
        + ("proveedor_id bigint NOT NULL, " if con_proveedor else "")
        + "texto text NOT NULL)",
        _funcion(
            "alta",
            f"INSERT INTO {TABLA} ({columnas}) SELECT {nuevos}, {texto_pg('n')} FROM nuevos n",
            limpiar=con_proveedor,
        ),
        _funcion(
            "cambio",
            f"INSERT INTO {TABLA} ({columnas}) SELECT {nuevos}, {texto_pg('n')} "
            f"FROM nuevos n JOIN viejos v ON v.id = n.id WHERE {cambio} "
            f"ON CONFLICT (precio_id) DO UPDATE SET {actualizar}",
            limpiar=con_proveedor,
        ),
        f"INSERT INTO {TABLA} ({columnas}) SELECT {nuevos.replace('n.', 'p.')}, "
        f"{texto_pg('p')} FROM precios_preciodelista p",
        f"CREATE INDEX {TABLA}_trgm ON {TABLA} USING gin (texto gin_trgm_ops)",
        *([f"CREATE INDEX {TABLA}_proveedor ON {TABLA} (proveedor_id)"] if con_proveedor else []),
        f"ALTER TABLE {TABLA} ALTER COLUMN texto SET STATISTICS 1000",
        f"ANALYZE {TABLA}",
    ]


def _en_postgres(sentencias):
    def correr(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for sentencia in sentencias:
                schema_editor.execute(sentencia)

    return correr


# Un TRUNCATE de precios (el flush de Django en PostgreSQL, con RESTART IDENTITY si se
# reinician las secuencias) no dispara los triggers de fila ni de DELETE: sin este, la
# tabla de texto quedaría con ids viejos y el próximo alta con el mismo id chocaría.
VACIADO = [
    _funcion("vaciado", f"TRUNCATE {TABLA}"),
    f"CREATE TRIGGER {TABLA}_vaciado AFTER TRUNCATE ON precios_preciodelista "
    f"FOR EACH STATEMENT EXECUTE FUNCTION {TABLA}_vaciado()",
]
VACIADO_REVERSA = [
    f"DROP TRIGGER {TABLA}_vaciado ON precios_preciodelista",
    f"DROP FUNCTION {TABLA}_vaciado()",
]


class Migration(migrations.Migration):

    dependencies = [
        ("precios", "0004_carga_sin_chequeo_por_fila"),
    ]

    operations = [
        migrations.RunPython(
            _en_postgres([*_rehacer(con_proveedor=True), *VACIADO]),
            _en_postgres([*VACIADO_REVERSA, *_rehacer(con_proveedor=False)]),
            elidable=False,
        ),
    ]
