"""docker-compose.yml no se puede levantar acá (no hay motor de Docker): se verifica su
estructura y se corre el comando del servicio web tal cual, contra servicios locales."""

import shlex
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml
from django.conf import settings

from conftest import entorno_de_pruebas
from core_config.broker_embebido import puerto_libre

COMPOSE = Path(settings.REPO_DIR) / "docker-compose.yml"


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def test_servicios_del_original_sin_puertos_expuestos_de_redis_ni_postgres(compose):
    servicios = compose["services"]
    assert {"redis", "worker", "app", "db", "beat", "flower"} <= set(servicios)
    assert servicios["flower"]["profiles"] == ["flower"]
    assert servicios["flower"]["ports"] == ["127.0.0.1:5555:5555"]
    assert servicios["beat"]["command"].startswith("celery -A core_config beat")
    for interno in ("redis", "db"):
        assert "ports" not in servicios[interno]
        assert "healthcheck" in servicios[interno]
    redis = servicios["redis"]["command"]
    assert '--save ""' in redis and "--appendonly no" in redis and "noeviction" in redis
    assert servicios["worker"]["command"].startswith("celery -A core_config worker --concurrency=1")
    assert servicios["app"]["ports"] == ["8001:8001"]
    for servicio in ("app", "worker"):
        assert servicios[servicio]["env_file"] == "src/.env"
        assert servicios[servicio]["environment"]["CELERY_BROKER_URL"] == "redis://redis:6379/0"
        assert servicios[servicio]["depends_on"]["redis"]["condition"] == "service_healthy"


def comando_gunicorn(compose: dict) -> list[str]:
    comando = compose["services"]["app"]["command"]
    return shlex.split(comando.split("&&", 1)[1].strip().rstrip('"'))


@pytest.mark.django_db(transaction=True)
def test_el_comando_web_del_compose_sirve_importaciones(compose):
    argumentos = comando_gunicorn(compose)
    assert argumentos[:7] == [
        "gunicorn",
        "--chdir",
        "src",
        "--bind",
        "0.0.0.0:8001",
        "--workers",
        "2",
    ]
    puerto = puerto_libre()
    argumentos[argumentos.index("0.0.0.0:8001")] = f"127.0.0.1:{puerto}"
    entorno = {**entorno_de_pruebas(settings.CELERY_BROKER_URL), "ALLOWED_HOSTS": "127.0.0.1"}
    proceso = subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), *argumentos[1:]],
        cwd=settings.REPO_DIR,
        env=entorno,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{puerto}/importaciones/"
        limite = time.monotonic() + 30
        while True:
            try:
                respuesta = urllib.request.urlopen(url, timeout=5)
                break
            except urllib.error.URLError:
                if time.monotonic() > limite or proceso.poll() is not None:
                    pytest.fail("Gunicorn no respondió con los argumentos del compose.")
                time.sleep(0.2)
        # Sin sesión, termina en el login (la redirección se sigue sola).
        assert respuesta.url.startswith(f"http://127.0.0.1:{puerto}/cuentas/login/")
        assert "Ingresar" in respuesta.read().decode()
    finally:
        proceso.terminate()
        proceso.wait(timeout=20)
