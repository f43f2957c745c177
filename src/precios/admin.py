from django.contrib import admin

from .busqueda import buscar_precios
from .models import Articulo, ArticuloProveedor, ArticuloSinRevisar, PrecioDeLista


@admin.register(PrecioDeLista)
class PrecioDeListaAdmin(admin.ModelAdmin):
    list_display = [
        "codigo_o_sin_codigo",
        "descripcion",
        "proveedor",
        "precio",
        "moneda",
        "marca",
        "actualizado_en",
    ]
    # Moneda por sus opciones (Moneda): el filtro no consulta la tabla para armarse.
    list_filter = ["proveedor", "moneda"]
    # La búsqueda es la del mostrador (get_search_results); esto sólo muestra el cuadro.
    search_fields = ["codigo", "descripcion", "marca", "codigo_barras"]
    search_help_text = "Como en el mostrador: código, palabras de la descripción, marca o EAN."
    # Con 1M de precios no se cuenta la tabla entera en cada página.
    show_full_result_count = False

    @admin.display(description="código", ordering="codigo")
    def codigo_o_sin_codigo(self, precio: PrecioDeLista) -> str:
        # Con el código vacío el enlace a la ficha quedaba sin texto en el que hacer clic.
        return precio.codigo or "sin código"

    def get_search_results(self, request, queryset, search_term):
        if not search_term.strip():
            return queryset, False
        # buscar_precios() deja el orden del índice; el admin ya eligió el suyo.
        return buscar_precios(search_term, precios=queryset).order_by(
            *queryset.query.order_by
        ), False


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
