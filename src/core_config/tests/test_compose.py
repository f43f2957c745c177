"""docker-compose.yml no se puede levantar acá (no hay motor de Docker): se verifica su
estructura y se corre el comando de cada servicio tal cual, contra servicios locales."""

import shlex
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml
from django.conf import settings

from conftest import lista_con_banner
from core_config.broker_embebido import puerto_libre
from importaciones.tests.procesos import entorno_de_pruebas, esperar

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
    for servicio in ("app", "worker", "beat"):
        assert servicios[servicio]["env_file"] == "src/.env"
        assert servicios[servicio]["environment"]["CELERY_BROKER_URL"] == "redis://redis:6379/0"
        assert servicios[servicio]["depends_on"]["redis"]["condition"] == "service_healthy"
        # Las migraciones corren una vez, en su servicio, antes que todos.
        migrar = servicios[servicio]["depends_on"]["migrar"]["condition"]
        assert migrar == "service_completed_successfully"
        assert "healthcheck" in servicios[servicio]
    assert servicios["migrar"]["command"] == "python src/manage.py migrate --noinput"
    # El apagado del worker: más que su apagado suave (settings) y un margen.
    assert int(servicios["worker"]["stop_grace_period"].rstrip("s")) >= 30 + 20
    # Nada secreto en el compose: todo viene de src/.env.
    assert "PASSWORD" not in COMPOSE.read_text().replace("POSTGRES_PASSWORD", "")


def comando_gunicorn(compose: dict) -> list[str]:
    return shlex.split(compose["services"]["app"]["command"])


@contextmanager
def gunicorn_del_compose(**entorno: str) -> Iterator[int]:
    """El comando del servicio web del compose, tal cual, en un puerto libre de loopback."""
    argumentos = comando_gunicorn(yaml.safe_load(COMPOSE.read_text()))
    puerto = puerto_libre()
    argumentos[argumentos.index("0.0.0.0:8001")] = f"127.0.0.1:{puerto}"
    proceso = subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), *argumentos[1:]],
        cwd=settings.REPO_DIR,
        env={
            **entorno_de_pruebas(settings.CELERY_BROKER_URL),
            "ALLOWED_HOSTS": "127.0.0.1",
            **entorno,
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        limite = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{puerto}/salud/", timeout=5)
                break
            except urllib.error.URLError:
                if time.monotonic() > limite or proceso.poll() is not None:
                    pytest.fail("Gunicorn no respondió con los argumentos del compose.")
                time.sleep(0.2)
        yield puerto
    finally:
        proceso.terminate()
        proceso.wait(timeout=20)


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
    with gunicorn_del_compose() as puerto:
        respuesta = urllib.request.urlopen(f"http://127.0.0.1:{puerto}/importaciones/", timeout=5)
        # Sin sesión, termina en el login (la redirección se sigue sola).
        assert respuesta.url.startswith(f"http://127.0.0.1:{puerto}/cuentas/login/")
        assert "Ingresar" in respuesta.read().decode()


def correr_servicio(compose: dict, servicio: str, entorno: dict, log: Path) -> subprocess.Popen:
    """El comando del servicio tal como está en el compose, desde su working_dir."""
    definicion = compose["services"][servicio]
    carpeta = Path(settings.REPO_DIR) / definicion.get("working_dir", "/app").removeprefix(
        "/app"
    ).lstrip("/")
    argumentos = shlex.split(definicion["command"])
    # El schedule de beat va al directorio de datos de la prueba, no a /data.
    argumentos = [a.replace("/data/", f"{settings.DATA_DIR}/") for a in argumentos]
    ejecutable = str(Path(sys.executable).with_name(argumentos[0]))
    with log.open("wb") as salida:
        return subprocess.Popen(
            [ejecutable, *argumentos[1:]],
            cwd=carpeta,
            env=entorno,
            stdout=salida,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(120)
def test_el_comando_del_worker_del_compose_procesa_un_archivo(
    compose, broker, proveedor, planillas, tmp_path
):
    from django.core.management import call_command

    from importaciones.models import ArchivoPendiente

    call_command(
        "importar_lista", str(planillas["csv"]({"L": lista_con_banner(5)})), proveedor="TOR"
    )
    proceso = correr_servicio(compose, "worker", entorno_de_pruebas(broker), tmp_path / "w.log")
    try:
        esperar(
            lambda: ArchivoPendiente.objects.get().estado == "procesado",
            mensaje=(tmp_path / "w.log").read_text(),
        )
    finally:
        proceso.terminate()
        proceso.wait(timeout=60)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(60)
def test_el_comando_de_beat_del_compose_programa_el_barrido(compose, broker, tmp_path):
    entorno = {**entorno_de_pruebas(broker), "TARIFARIO_BARRIDO_SEGUNDOS": "1"}
    log = tmp_path / "beat.log"
    proceso = correr_servicio(compose, "beat", entorno, log)
    try:
        esperar(
            lambda: "importaciones.barrer_pendientes" in log.read_text(),
            segundos=30,
            mensaje=log.read_text(),
        )
    finally:
        proceso.terminate()
        proceso.wait(timeout=30)
