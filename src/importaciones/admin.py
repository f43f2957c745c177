from django.contrib import admin

from .models import ArchivoPendiente, ConfigImportacion, Subida


@admin.register(ConfigImportacion)
class ConfigImportacionAdmin(admin.ModelAdmin):
    list_display = ["proveedor", "nombre_config", "fila_encabezado", "col_codigo", "col_precio"]
    list_filter = ["proveedor"]


@admin.register(Subida)
class SubidaAdmin(admin.ModelAdmin):
    list_display = ["nombre_original", "proveedor", "formato", "tamano", "fecha"]
    list_filter = ["proveedor", "formato"]


@admin.register(ArchivoPendiente)
class ArchivoPendienteAdmin(admin.ModelAdmin):
    list_display = [
        "nombre_archivo_origen",
        "hoja_origen",
        "proveedor",
        "estado",
        "filas_validas",
        "creados",
        "actualizados",
        "fecha_subida",
    ]
    list_filter = ["estado", "proveedor"]
    readonly_fields = ["token", "vence_en", "worker"]
