from django.urls import path

from . import views

app_name = "importaciones"

urlpatterns = [
    path("", views.inicio, name="inicio"),
    path("subidas/<int:subida_id>/", views.mapeo, name="mapeo"),
    path("proveedores/<int:proveedor_id>/cola/", views.cola, name="cola"),
    path("procesar/", views.procesar_ahora, name="procesar_ahora"),
]
