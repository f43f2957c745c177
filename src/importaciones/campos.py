"""Los datos que se leen de cada fila de una lista de precios (sin dependencias de Django)."""

CAMPOS_REQUERIDOS = ("codigo", "descripcion", "precio")
CAMPOS_OPCIONALES = ("bulto", "iva", "codigo_barras", "marca")
CAMPOS = CAMPOS_REQUERIDOS + CAMPOS_OPCIONALES
