"""Lo que ve una persona al arrancar: configuración y `make run` (iniciar_local)."""

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

from core_config.broker_embebido import puerto_libre, responde

MANAGE = Path(settings.BASE_DIR) / "manage.py"


def entorno_limpio(directorio: Path, **extra: str) -> dict[str, str]:
    # Variables vacías explícitas: src/.env no las pisa (python-dotenv no reemplaza).
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "core_config.settings",
        "DATA_DIR": str(directorio),
        "DATABASE_URL": f"sqlite:///{directorio}/tarifario.sqlite3",
        "CELERY_BROKER_URL": "",
        "SECRET_KEY": "",
        "DEBUG": "0",
        **extra,
    }


def test_sin_secret_key_y_sin_debug_no_arranca(tmp_path):
    resultado = subprocess.run(
        [sys.executable, str(MANAGE), "check"],
        env=entorno_limpio(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert resultado.returncode != 0
    assert "Falta SECRET_KEY" in resultado.stderr


@pytest.mark.worker
@pytest.mark.timeout(120)
def test_iniciar_local_levanta_broker_worker_y_web_y_muestra_el_acceso(tmp_path):
    puerto_web, puerto_broker = puerto_libre(), puerto_libre()
    entorno = entorno_limpio(
        tmp_path, DEBUG="1", SECRET_KEY="x" * 50, BROKER_EMBEBIDO_PUERTO=str(puerto_broker)
    )
    subprocess.run(
        [sys.executable, str(MANAGE), "migrate", "-v0"], env=entorno, check=True, timeout=120
    )
    log = tmp_path / "iniciar.log"
    with log.open("w") as salida:
        proceso = subprocess.Popen(
            [sys.executable, str(MANAGE), "iniciar_local", "--puerto", str(puerto_web)],
            env=entorno,
            stdout=salida,
            stderr=subprocess.STDOUT,
        )
    try:
        limite = time.monotonic() + 60
        while True:
            try:
                pagina = urllib.request.urlopen(
                    f"http://127.0.0.1:{puerto_web}/cuentas/login/", timeout=2
                )
                break
            except OSError:
                if time.monotonic() > limite or proceso.poll() is not None:
                    pytest.fail(f"La web no arrancó:\n{log.read_text()}")
                time.sleep(0.3)
        assert pagina.status == 200
        assert responde(puerto_broker)
        texto = log.read_text()
        assert re.search(r"usuario: admin\s+contraseña: \S{12,}", texto)
        esperar_worker = time.monotonic() + 60
        while "ready." not in log.read_text():
            assert time.monotonic() < esperar_worker, log.read_text()
            time.sleep(0.3)
    finally:
        proceso.send_signal(signal.SIGTERM)
        proceso.wait(timeout=60)
    # Al detenerlo no quedan procesos sueltos: ni broker ni web.
    assert not responde(puerto_broker)
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://127.0.0.1:{puerto_web}/cuentas/login/", timeout=2)


@pytest.mark.django_db
def test_salud_responde_sin_sesion_y_la_portada_lleva_a_cada_uno_a_su_lugar(
    client, django_user_model
):
    respuesta = client.get("/salud/")
    assert (respuesta.status_code, respuesta.content) == (200, b"ok")
    client.force_login(django_user_model.objects.create_user("mostrador", password="x-1-y"))
    assert client.get("/").url == "/precios/"
    client.force_login(django_user_model.objects.create_user("ana", password="x", is_staff=True))
    assert client.get("/").url == "/importaciones/"
