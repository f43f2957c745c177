"""Los datos que se leen de cada fila de una lista de precios (sin dependencias de Django)."""

CAMPOS_REQUERIDOS = ("codigo", "descripcion", "precio")
CAMPOS_OPCIONALES = ("bulto", "iva", "codigo_barras", "marca")
CAMPOS = CAMPOS_REQUERIDOS + CAMPOS_OPCIONALES

# Columnas del CSV normalizado que el lector escribe y la carga copia a la base.
COLUMNAS_CSV = (
    "fila",
    "codigo",
    "codigo_clave",
    "descripcion",
    "precio",
    "moneda",
    "bulto",
    "iva",
    "codigo_barras",
    "marca",
    # "" o lo que el informe tiene que mostrar de la fila (sin_codigo, reparada) y su detalle.
    "observacion",
    "detalle",
)
