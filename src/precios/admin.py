from django.contrib import admin

from .models import Articulo, ArticuloProveedor, ArticuloSinRevisar, PrecioDeLista


@admin.register(PrecioDeLista)
class PrecioDeListaAdmin(admin.ModelAdmin):
    list_display = ["codigo", "descripcion", "proveedor", "precio", "marca", "actualizado_en"]
    list_filter = ["proveedor"]
    search_fields = ["codigo", "descripcion", "marca", "codigo_barras"]


@admin.register(Articulo)
class ArticuloAdmin(admin.ModelAdmin):
    list_display = ["nombre", "codigo_barras"]
    search_fields = ["nombre", "codigo_barras"]


@admin.register(ArticuloProveedor)
class ArticuloProveedorAdmin(admin.ModelAdmin):
    list_display = ["codigo_proveedor", "descripcion_proveedor", "articulo", "precio"]
    raw_id_fields = ["precio_lista", "articulo"]


@admin.register(ArticuloSinRevisar)
class ArticuloSinRevisarAdmin(admin.ModelAdmin):
    list_display = ["precio_lista", "creado_en"]
    raw_id_fields = ["precio_lista"]
