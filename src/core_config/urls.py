from django.contrib import admin
from django.contrib.auth import views as auth
from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.portada, name="portada"),
    path("salud/", views.salud, name="salud"),
    path("admin/", admin.site.urls),
    # Sólo ingreso, salida y cambio de contraseña: sin correo configurado, el
    # "olvidé mi contraseña" no serviría (la restablece el personal en el admin).
    path("cuentas/login/", auth.LoginView.as_view(), name="login"),
    path("cuentas/logout/", auth.LogoutView.as_view(), name="logout"),
    path("cuentas/contrasena/", auth.PasswordChangeView.as_view(), name="password_change"),
    path(
        "cuentas/contrasena/lista/",
        auth.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("importaciones/", include("importaciones.urls")),
    path("precios/", include("precios.urls")),
    path("tareas/", include("monitor_tareas.urls")),
]
