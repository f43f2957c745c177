from django.urls import path

from . import views

app_name = "precios"

urlpatterns = [
    path("", views.buscar, name="buscar"),
    path("<int:pk>/", views.detalle, name="detalle"),
]
