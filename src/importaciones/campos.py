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
    "bulto",
    "iva",
    "codigo_barras",
    "marca",
)
