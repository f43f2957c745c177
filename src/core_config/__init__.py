# Importar la app de Celery al arrancar Django hace que @shared_task y
# delay_on_commit() usen esta configuración (patrón de Celery para Django).
from .celery import app as celery_app

__all__ = ("celery_app",)
