"""404, 403 y 500 en castellano y con el aspecto de la app, con DEBUG y sin DEBUG."""

import pytest
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import path

pytestmark = pytest.mark.django_db
CON_Y_SIN_DEBUG = pytest.mark.parametrize("debug", [False, True], ids=["sin-debug", "con-debug"])


@login_not_required
def vista_que_falla(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("falla a propósito")


# Para la prueba del 500 (ROOT_URLCONF apunta a este módulo).
urlpatterns = [path("falla/", vista_que_falla)]


@CON_Y_SIN_DEBUG
def test_404_en_castellano_para_una_url_que_no_existe_y_un_objeto_borrado(
    cliente_staff, settings, debug
):
    settings.DEBUG = debug
    for url in ("/no-existe/", "/tareas/999999/", "/importaciones/archivos/999999/"):
        respuesta = cliente_staff.get(url)
        contenido = respuesta.content.decode()
        assert respuesta.status_code == 404, url
        assert "No encontramos esta página" in contenido, url
        assert "Page not found" not in contenido and "Not Found" not in contenido, url
        assert 'href="/tareas/"' in contenido  # el menú de base.html, con la sesión


@CON_Y_SIN_DEBUG
def test_404_sin_sesion_y_la_barra_final_se_sigue_agregando(client, settings, debug):
    settings.DEBUG = debug
    respuesta = client.get("/no-existe/")
    assert respuesta.status_code == 404
    assert "No encontramos esta página" in respuesta.content.decode()
    redireccion = client.get("/tareas")
    assert (redireccion.status_code, redireccion.url) == (301, "/tareas/")


@CON_Y_SIN_DEBUG
def test_403_en_castellano_para_quien_no_es_personal(client, django_user_model, settings, debug):
    settings.DEBUG = debug
    client.force_login(django_user_model.objects.create_user("mostrador", password="x-1-y"))
    for respuesta in (client.get("/tareas/"), client.post("/importaciones/procesar/")):
        contenido = respuesta.content.decode()
        assert respuesta.status_code == 403
        assert "No tenés permiso para ver esta página" in contenido
        assert "<strong>mostrador</strong>" in contenido
        assert 'href="/precios/"' in contenido


@CON_Y_SIN_DEBUG
def test_403_de_csrf_en_castellano(django_user_model, settings, debug):
    settings.DEBUG = debug
    cliente = Client(enforce_csrf_checks=True)
    cliente.force_login(django_user_model.objects.create_user("ana", password="x-1-y"))
    respuesta = cliente.post("/cuentas/logout/")
    assert respuesta.status_code == 403
    assert "No se pudo enviar el formulario" in respuesta.content.decode()


def test_500_en_castellano_sin_contexto_y_sin_manifiesto_de_estaticos(settings):
    settings.ROOT_URLCONF = __name__
    # Sin collectstatic, {% static %} fallaría con este storage: la 500 no lo usa.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    respuesta = Client(raise_request_exception=False).get("/falla/")
    contenido = respuesta.content.decode()
    assert respuesta.status_code == 500
    assert "Algo falló en el servidor" in contenido
    assert '<link rel="stylesheet" href="/static/tarifario.css">' in contenido
