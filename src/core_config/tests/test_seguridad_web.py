"""Acceso, CSRF, métodos y `check --deploy`: la matriz sale de todas las URL del proyecto,
así una vista nueva queda cubierta (o la prueba pide clasificarla)."""

import re
import secrets
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

pytestmark = pytest.mark.django_db

# Las únicas vistas sin sesión: el ingreso y el healthcheck de Docker (sólo dice "ok").
PUBLICAS = {"login", "admin:login", "salud"}
# Acciones conocidas: sólo POST (un GET no cambia nada).
ACCIONES = {
    "importaciones:procesar_ahora",
    "importaciones:aplicar_igual",
    "monitor_tareas:reintentar",
    "monitor_tareas:cancelar",
    "monitor_tareas:procesar_ahora",
    "monitor_tareas:purgar",
}
# Qué pide cada sección: el mostrador busca precios; importar y el monitor son del personal.
SOLO_PERSONAL = ("importaciones/", "tareas/")
CON_SESION = ("precios/", "")
VALOR_DE_PRUEBA = {
    "int": "1",
    "str": "x",
    "slug": "x",
    "path": "x",
    "uuid": "00000000-0000-0000-0000-000000000000",
}


@dataclass
class Ruta:
    url: str
    nombre: str
    vista: object


def recorrer(patrones: list, prefijo: str = "", espacio: str = "") -> Iterator[Ruta]:
    for patron in patrones:
        if isinstance(patron, URLResolver):
            nuevo = f"{espacio}:{patron.namespace}" if espacio else patron.namespace or ""
            yield from recorrer(patron.url_patterns, prefijo + str(patron.pattern), nuevo)
        elif isinstance(patron, URLPattern):
            nombre = f"{espacio}:{patron.name}" if espacio else patron.name or ""
            yield Ruta(prefijo + str(patron.pattern), nombre, patron.callback)


def url_de_prueba(ruta: str) -> str:
    """La ruta con cada parámetro reemplazado por un valor (int → 1)."""
    assert not ruta.startswith("^"), f"Ruta con regex sin clasificar: {ruta}"
    return "/" + re.sub(r"<(?:(\w+):)?\w+>", lambda m: VALOR_DE_PRUEBA[m[1] or "str"], ruta)


TODAS = list(recorrer(get_resolver().url_patterns))
# El admin tiene su propio control (is_staff) y las vistas de cuentas son las de Django.
PROPIAS = [
    r
    for r in TODAS
    if not r.nombre.startswith("admin:")
    and r.vista.__module__ != "django.contrib.auth.views"
    and r.nombre not in PUBLICAS
]


def seccion(url: str) -> str:
    if url.startswith(tuple("/" + p for p in SOLO_PERSONAL)):
        return "personal"
    if url == "/" or url.startswith(tuple("/" + p for p in CON_SESION if p)):
        return "sesion"
    pytest.fail(f"{url}: URL sin clasificar en la matriz de acceso (SOLO_PERSONAL o CON_SESION).")


def ids(rutas: list[Ruta]) -> list[str]:
    return [r.nombre or r.url for r in rutas]


@pytest.fixture
def mostrador(django_user_model) -> Client:
    cliente = Client()
    cliente.force_login(django_user_model.objects.create_user("mostrador", password="x-123-y"))
    return cliente


@pytest.fixture
def personal(django_user_model) -> Client:
    cliente = Client()
    cliente.force_login(
        django_user_model.objects.create_user("ana", password="x-123-y", is_staff=True)
    )
    return cliente


def test_la_matriz_cubre_las_vistas_de_todas_las_apps():
    nombres = {r.nombre for r in PROPIAS}
    assert {"importaciones:inicio", "precios:buscar", "monitor_tareas:lista"} <= nombres
    assert nombres >= ACCIONES


def test_ninguna_vista_es_publica_salvo_el_login():
    publicas = {r.nombre for r in TODAS if not getattr(r.vista, "login_required", True)}
    assert publicas <= PUBLICAS


@pytest.mark.parametrize("ruta", PROPIAS, ids=ids(PROPIAS))
def test_sin_sesion_redirige_al_login(client, ruta: Ruta):
    url = url_de_prueba(ruta.url)
    for respuesta in (client.get(url), client.post(url)):
        assert respuesta.status_code == 302, url
        assert respuesta.url.startswith("/cuentas/login/?next="), url


@pytest.mark.parametrize("ruta", PROPIAS, ids=ids(PROPIAS))
def test_sin_ser_personal_solo_se_buscan_precios(mostrador, ruta: Ruta):
    url = url_de_prueba(ruta.url)
    if seccion(url) == "personal":
        assert mostrador.get(url).status_code == 403, url
        assert mostrador.post(url).status_code == 403, url
    else:
        assert mostrador.get(url).status_code in (200, 302, 404), url


@pytest.mark.parametrize("ruta", PROPIAS, ids=ids(PROPIAS))
def test_el_personal_entra_y_las_acciones_son_solo_post(personal, ruta: Ruta):
    url = url_de_prueba(ruta.url)
    respuesta = personal.get(url)
    if ruta.nombre in ACCIONES:
        assert respuesta.status_code == 405, url
        assert respuesta["Allow"] == "POST"
    else:
        assert respuesta.status_code in (200, 302, 404, 405), url


def test_post_sin_token_csrf_da_403(django_user_model):
    cliente = Client(enforce_csrf_checks=True)
    cliente.force_login(
        django_user_model.objects.create_user("ana", password="x-123-y", is_staff=True)
    )
    urls = [url_de_prueba(r.url) for r in PROPIAS if r.nombre in ACCIONES]
    for url in [*urls, "/importaciones/", "/importaciones/subidas/1/", "/cuentas/logout/"]:
        respuesta = cliente.post(url)
        assert respuesta.status_code == 403, url
        assert b"CSRF" in respuesta.content


def test_encabezados_de_seguridad_y_cookies(client, django_user_model):
    respuesta = client.get("/cuentas/login/")
    assert respuesta["X-Frame-Options"] == "DENY"
    assert respuesta["X-Content-Type-Options"] == "nosniff"
    assert respuesta["Referrer-Policy"] == "same-origin"
    assert respuesta.cookies["csrftoken"]["httponly"]

    django_user_model.objects.create_user("ana", password="x-123-y", is_staff=True)
    respuesta = client.post("/cuentas/login/", {"username": "ana", "password": "x-123-y"})
    assert respuesta.status_code == 302
    assert respuesta.cookies["sessionid"]["httponly"]


def correr_check_deploy(**entorno: str) -> subprocess.CompletedProcess:
    # Entorno mínimo: nada de src/.env ni del entorno de pruebas decide el resultado
    # (las variables definidas ganan sobre las del archivo).
    base = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "core_config.settings",
        "DATA_DIR": str(settings.DATA_DIR),
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DEBUG": "0",
        "ALLOWED_HOSTS": "tarifario.local,192.168.0.50",
        "TARIFARIO_HTTPS": "0",
    }
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env={**base, **entorno},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_sin_avisos_con_http_en_la_red_local():
    resultado = correr_check_deploy()
    assert resultado.returncode == 0, resultado.stdout + resultado.stderr
    assert "4 silenced" in resultado.stdout


def test_check_deploy_sin_avisos_detras_de_un_proxy_https():
    resultado = correr_check_deploy(
        TARIFARIO_HTTPS="1", CSRF_TRUSTED_ORIGINS="https://tarifario.local"
    )
    assert resultado.returncode == 0, resultado.stdout + resultado.stderr
    assert "1 silenced" in resultado.stdout


def test_check_deploy_avisa_si_la_clave_es_debil():
    resultado = correr_check_deploy(SECRET_KEY="corta-" * 3)
    assert resultado.returncode != 0
    assert "security.W009" in resultado.stderr
