from django.urls import path

from . import views

app_name = "importaciones"

urlpatterns = [
    path("", views.inicio, name="inicio"),
    path("subidas/<int:subida_id>/", views.mapeo, name="mapeo"),
    path(
        "subidas/<int:subida_id>/hojas/<int:indice>/interpretadas/",
        views.interpretadas,
        name="interpretadas",
    ),
    path("proveedores/<int:proveedor_id>/cola/", views.cola, name="cola"),
    path("procesar/", views.procesar_ahora, name="procesar_ahora"),
    path("archivos/<int:archivo_id>/", views.archivo, name="archivo"),
    path("archivos/<int:archivo_id>/descartadas.xlsx", views.descartes, name="descartes"),
    path("archivos/<int:archivo_id>/lista/<slug:nombre>/", views.lista, name="lista"),
    path("archivos/<int:archivo_id>/lista/<slug:nombre>.xlsx", views.lista_xlsx, name="lista_xlsx"),
    path("archivos/<int:archivo_id>/aplicar/", views.aplicar_igual, name="aplicar_igual"),
    path("archivos/<int:archivo_id>/retenidos/", views.retenidos, name="retenidos"),
    path("archivos/<int:archivo_id>/deshacer/", views.deshacer, name="deshacer"),
]
