from django.contrib import admin

from .models import RegistroTarea


@admin.register(RegistroTarea)
class RegistroTareaAdmin(admin.ModelAdmin):
    list_display = ["nombre", "tarea_id", "estado", "proveedor", "encolada_en", "worker"]
    list_filter = ["estado", "nombre"]
    search_fields = ["tarea_id"]
    raw_id_fields = ["archivo"]
