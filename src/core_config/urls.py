from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="importaciones:inicio"), name="portada"),
    path("admin/", admin.site.urls),
    path("cuentas/", include("django.contrib.auth.urls")),
    path("importaciones/", include("importaciones.urls")),
    path("precios/", include("precios.urls")),
    path("tareas/", include("monitor_tareas.urls")),
]
