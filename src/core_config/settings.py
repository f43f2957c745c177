"""Configuración de Tarifario, leída del entorno y de `src/.env`.

Los valores por defecto sirven para desarrollo en una sola máquina (SQLite y
un servidor compatible con Redis embebido); en producción falla fuerte si
falta lo indispensable (SECRET_KEY con DEBUG apagado).
"""

import json
import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from dotenv import load_dotenv

BASE_DIR = Path(__file__).resolve().parent.parent
REPO_DIR = BASE_DIR.parent

# Las variables ya definidas en el entorno ganan sobre las del archivo.
load_dotenv(BASE_DIR / ".env")


def env_bool(nombre: str, defecto: bool = False) -> bool:
    valor = os.environ.get(nombre)
    if valor is None or valor == "":
        return defecto
    return valor.strip().lower() in ("1", "true", "si", "sí", "yes", "on")


def env_lista(nombre: str, defecto: str = "") -> list[str]:
    return [v.strip() for v in os.environ.get(nombre, defecto).split(",") if v.strip()]


DEBUG = env_bool("DEBUG")

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "Falta SECRET_KEY. Definila en src/.env o en el entorno "
            "(o usá DEBUG=1 sólo para desarrollo)."
        )
    SECRET_KEY = "solo-desarrollo-no-usar-en-produccion"

# Localhost siempre: el healthcheck del contenedor entra por ahí.
ALLOWED_HOSTS = [*env_lista("ALLOWED_HOSTS"), "127.0.0.1", "localhost"]
CSRF_TRUSTED_ORIGINS = env_lista("CSRF_TRUSTED_ORIGINS")

DATA_DIR = Path(os.environ.get("DATA_DIR") or REPO_DIR / "data").resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "core_config",
    "proveedores",
    "precios",
    "importaciones",
    "monitor_tareas",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Toda página pide sesión salvo las marcadas con @login_not_required.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Con DEBUG=1 (make run), la 404 en castellano en vez de la técnica: ver core_config/errores.py.
    "core_config.errores.PaginaNoEncontradaConDebug",
]

ROOT_URLCONF = "core_config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "core_config.wsgi.application"


def _url_base_de_datos() -> str:
    if url := os.environ.get("DATABASE_URL"):
        return url
    if nombre := os.environ.get("POSTGRES_DB"):
        usuario = os.environ.get("POSTGRES_USER", "postgres")
        clave = os.environ.get("POSTGRES_PASSWORD", "")
        host = os.environ.get("POSTGRES_HOST", "db")
        puerto = os.environ.get("POSTGRES_PORT", "5432")
        return f"postgres://{usuario}:{clave}@{host}:{puerto}/{nombre}"
    return f"sqlite:///{DATA_DIR / 'tarifario.sqlite3'}"


DATABASES = {"default": dj_database_url.parse(_url_base_de_datos(), conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # El worker y la web escriben el mismo archivo: esperar el lock en vez
        # de fallar con "database is locked", y tomarlo al empezar la transacción.
        # Configurable para un disco lento (SD) o para que las pruebas no esperen 30 s.
        "timeout": int(os.environ.get("SQLITE_TIMEOUT_SEGUNDOS", "30")),
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # Las pruebas con un worker real necesitan un archivo, no una base en memoria.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "pruebas.sqlite3")}
else:
    DATABASES["default"].setdefault("OPTIONS", {})["application_name"] = "tarifario"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "es-ar"
TIME_ZONE = os.environ.get("TIME_ZONE", "America/Argentina/Buenos_Aires")
USE_I18N = True
USE_TZ = True
USE_THOUSAND_SEPARATOR = True

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "portada"
LOGOUT_REDIRECT_URL = "login"

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"

STORAGES = {
    # Las planillas subidas y sus CSV quedan fuera de todo lo que se sirve. Con varias
    # máquinas, un storage compartido (p. ej. S3 con django-storages): STORAGE_BACKEND y
    # STORAGE_OPTIONS (JSON). Ver docs/INSTALACION.md.
    "default": {
        "BACKEND": os.environ.get("STORAGE_BACKEND")
        or "django.core.files.storage.FileSystemStorage",
        "OPTIONS": json.loads(os.environ["STORAGE_OPTIONS"])
        if os.environ.get("STORAGE_OPTIONS")
        else {"location": DATA_DIR / "archivos", "base_url": None},
    },
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        ),
    },
}

# Tamaño máximo de una planilla subida (MB).
TARIFARIO_MAX_SUBIDA_MB = int(os.environ.get("TARIFARIO_MAX_SUBIDA_MB", "100"))
# Un archivo "procesando" cuyo worker murió vuelve a estar disponible cuando vence este
# plazo. Un hilo del worker lo renueva cada tercio del plazo, también durante la carga.
TARIFARIO_LEASE_SEGUNDOS = int(os.environ.get("TARIFARIO_LEASE_SEGUNDOS", "25"))
TARIFARIO_MAX_INTENTOS = int(os.environ.get("TARIFARIO_MAX_INTENTOS", "3"))
# Cada cuánto el barrido reenvía lo pendiente y lo abandonado (Redis puede perder avisos).
# Plazo + barrido = lo más que espera un archivo de un worker muerto (55 s por defecto).
TARIFARIO_BARRIDO_SEGUNDOS = int(os.environ.get("TARIFARIO_BARRIDO_SEGUNDOS", "30"))
# Cuánto espera una importación el lock de un proveedor (PostgreSQL) antes de reintentar luego.
TARIFARIO_ESPERA_LOCK_SEGUNDOS = int(os.environ.get("TARIFARIO_ESPERA_LOCK_SEGUNDOS", "30"))
# Límites del proceso que lee cada planilla (importaciones/lector.py): un archivo
# hostil que agota la memoria o no termina mata sólo a ese proceso, no al worker.
TARIFARIO_LECTOR_MEMORIA_MB = int(os.environ.get("TARIFARIO_LECTOR_MEMORIA_MB", "2048"))
TARIFARIO_LECTOR_SEGUNDOS = int(os.environ.get("TARIFARIO_LECTOR_SEGUNDOS", "1200"))
# Tamaño máximo de una planilla descomprimida (un XLSX de 1M de filas ocupa ~150 MB).
TARIFARIO_MAX_DESCOMPRIMIDO_MB = int(os.environ.get("TARIFARIO_MAX_DESCOMPRIMIDO_MB", "1024"))

# --- Seguridad web y subidas ----------------------------------------------------
# Primero el tope de tamaño: corta mientras llega el cuerpo, antes de que los
# handlers de Django lo guarden en memoria o en un temporal.
FILE_UPLOAD_HANDLERS = [
    "core_config.subidas.LimiteDeSubida",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
# Los temporales de subida, en el mismo volumen que los datos (no en el /tmp del
# contenedor, que puede ser chico o estar en memoria).
FILE_UPLOAD_TEMP_DIR = str(DATA_DIR / "temporales")
Path(FILE_UPLOAD_TEMP_DIR).mkdir(parents=True, exist_ok=True)
# Las planillas subidas sólo las lee el usuario de la app (web y worker son el mismo).
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
# El formulario de subida lleva un solo archivo.
DATA_UPLOAD_MAX_NUMBER_FILES = 5

X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
# Ningún JavaScript de la app lee la cookie CSRF (los formularios llevan el token).
CSRF_COOKIE_HTTPONLY = True

# Por defecto la Pi sirve HTTP plano en la red local. TARIFARIO_HTTPS=1 sólo detrás
# de un proxy con TLS que siempre fija (o borra) X-Forwarded-Proto; si no, un
# cliente podría hacerse pasar por HTTPS mandando ese encabezado.
TARIFARIO_HTTPS = env_bool("TARIFARIO_HTTPS")
if TARIFARIO_HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    # El healthcheck del contenedor entra por HTTP directo, sin pasar por el proxy.
    SECURE_REDIRECT_EXEMPT = [r"^salud/$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # Empieza corto: si el TLS se saca, los navegadores vuelven a HTTP en ese plazo.
    SECURE_HSTS_SECONDS = int(os.environ.get("TARIFARIO_HSTS_SEGUNDOS", "3600"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SILENCED_SYSTEM_CHECKS = [
        # Preload pide registrar el dominio en las listas de los navegadores: no aplica a la LAN.
        "security.W021",
    ]
else:
    SILENCED_SYSTEM_CHECKS = [
        # HSTS no se manda por HTTP: sin TLS no hay nada que fijar.
        "security.W004",
        # Redirigir a HTTPS sin un servidor TLS dejaría la app inaccesible.
        "security.W008",
        # Con cookie de sesión "secure" el navegador no la manda por HTTP: no se podría entrar.
        "security.W012",
        # Con cookie CSRF "secure" ningún formulario pasaría la verificación por HTTP.
        "security.W016",
    ]

# --- Celery -----------------------------------------------------------------
# Sin CELERY_BROKER_URL se usa el servidor embebido que levanta `make run`.
BROKER_EMBEBIDO = not os.environ.get("CELERY_BROKER_URL")
BROKER_EMBEBIDO_PUERTO = int(os.environ.get("BROKER_EMBEBIDO_PUERTO", "6390"))
CELERY_BROKER_URL = (
    os.environ.get("CELERY_BROKER_URL") or f"redis://127.0.0.1:{BROKER_EMBEBIDO_PUERTO}/0"
)
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND") or None
CELERY_TIMEZONE = os.environ.get("CELERY_TIMEZONE", "UTC")
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# Sin backend de resultados no hay nada que guardar; con backend, un día basta
# (el estado de cada archivo vive en la base, no en Redis).
CELERY_TASK_IGNORE_RESULT = CELERY_RESULT_BACKEND is None
CELERY_RESULT_EXPIRES = 24 * 3600
# Confirmar el mensaje al terminar: si el worker muere, el mensaje vuelve.
# Es seguro porque procesar es idempotente (el archivo se reclama en la base).
CELERY_TASK_ACKS_LATE = True
# Un mensaje reservado por proceso: nada queda retenido por un worker caído.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Un archivo que mata al proceso no debe volver en bucle: lo recupera el
# plazo (lease) de la base con un tope de intentos.
CELERY_TASK_REJECT_ON_WORKER_LOST = False
# Debe quedar debajo del visibility_timeout, o una importación larga se
# entregaría dos veces mientras sigue corriendo.
CELERY_TASK_SOFT_TIME_LIMIT = 1700
CELERY_TASK_TIME_LIMIT = 1800
# Un mensaje sin confirmar vuelve a la cola pasado el visibility_timeout. Se lee del
# entorno para que las pruebas de reentrega (escenarios 5 y 8 de docs/CONFIABILIDAD.md)
# tarden segundos; en producción dejalo en 1 h: ninguna recuperación lo espera (la hace
# el barrido) y por debajo del límite de tiempo cada importación larga llega dos veces.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "3600")),
    "socket_connect_timeout": 3,
}
# En compose el worker puede arrancar antes que Redis.
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Al apagar (docker compose stop) se espera hasta 30 s a que termine lo que corre y se
# devuelve lo no confirmado; compose da 60 s antes de matar (stop_grace_period).
CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT = 30
# Higiene en la Pi: un proceso del pool que quedó grande se recicla después de su tarea
# (la protección real contra archivos que agotan la memoria es el lector aislado).
CELERY_WORKER_MAX_MEMORY_PER_CHILD = 400_000  # KiB
# Sin conexión no se puede confirmar el mensaje: mejor cancelar y que vuelva.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
# Encolar no debe colgar una página si el broker no está: pocos reintentos cortos.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 1,
}
# Respaldos diarios (celery beat, 03:30): se conservan N diarios y M semanales.
RESPALDOS_DIARIOS = int(os.environ.get("RESPALDOS_DIARIOS", "7"))
RESPALDOS_SEMANALES = int(os.environ.get("RESPALDOS_SEMANALES", "4"))
# Trabajo periódico (celery beat): retención del historial de tareas.
TAREAS_RETENCION_DIAS = int(os.environ.get("TAREAS_RETENCION_DIAS", "90"))
CELERY_BEAT_SCHEDULE = {
    "purgar-historial-de-tareas": {
        "task": "monitor_tareas.purgar_historial",
        "schedule": 24 * 3600,
    },
    "respaldo-diario": {
        "task": "core_config.respaldar",
        "schedule": crontab(hour=3, minute=30),
    },
    "barrer-pendientes": {
        "task": "importaciones.barrer_pendientes",
        "schedule": TARIFARIO_BARRIDO_SEGUNDOS,
    },
}
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
# Eventos para Flower (ve también las encoladas); el monitor propio usa señales.
CELERY_WORKER_SEND_TASK_EVENTS = True
CELERY_TASK_SEND_SENT_EVENT = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"simple": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"consola": {"class": "logging.StreamHandler", "formatter": "simple"}},
    "root": {"handlers": ["consola"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django": {"level": "WARNING"}},
}
