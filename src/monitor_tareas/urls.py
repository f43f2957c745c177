from django.urls import path

from . import views

app_name = "monitor_tareas"

urlpatterns = [
    path("", views.lista, name="lista"),
    path("estado/", views.estado, name="estado"),
    path("<int:pk>/", views.detalle, name="detalle"),
    path("<int:pk>/reintentar/", views.reintentar, name="reintentar"),
    path("<int:pk>/cancelar/", views.cancelar, name="cancelar"),
    path("procesar/", views.procesar_ahora, name="procesar_ahora"),
    path("purgar/", views.purgar, name="purgar"),
]
