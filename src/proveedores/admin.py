from django.contrib import admin

from .models import Proveedor


@admin.register(Proveedor)
class ProveedorAdmin(admin.ModelAdmin):
    list_display = [
        "nombre",
        "abreviatura",
        "descuento_comercial",
        "margen_ganancia",
        "umbral_sospechoso",
    ]
    search_fields = ["nombre", "abreviatura"]
