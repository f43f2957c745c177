"""Configuración de las pruebas: directorio de datos y puerto de broker propios.

Así `make test` no toca los datos ni el broker de un `make run` que esté
corriendo. Los workers que levantan las pruebas heredan DATA_DIR y
PRUEBAS_BROKER_URL por el entorno.
"""

import os
import tempfile

os.environ.setdefault("SECRET_KEY", "solo-para-pruebas-" + "x" * 40)
os.environ.setdefault("DATA_DIR", tempfile.mkdtemp(prefix="tarifario-pruebas-"))

from core_config.broker_embebido import puerto_libre
from core_config.settings import *  # noqa: F403
from core_config.settings import CELERY_BROKER_TRANSPORT_OPTIONS, STORAGES

CELERY_BROKER_URL = os.environ.get("PRUEBAS_BROKER_URL") or f"redis://127.0.0.1:{puerto_libre()}/0"
BROKER_EMBEBIDO = False
# kombu busca mensajes sin confirmar más viejos que el visibility_timeout cada ~100 s
# (10 s × 10); cada 1 s, las pruebas con CELERY_VISIBILITY_TIMEOUT corto ven la reentrega
# en segundos. Con el de 1 h no cambia nada salvo en corridas de más de una hora, en las
# que vuelven los avisos de workers matados por otras pruebas (no encuentran su archivo).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    **CELERY_BROKER_TRANSPORT_OPTIONS,
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Una tarea que falla a pedido, para probar el monitor con un worker real.
CELERY_IMPORTS = ["monitor_tareas.tests.tareas"]
