"""Tareas que sólo existen en las pruebas (settings_pruebas las importa en el worker)."""

from pathlib import Path

from celery import shared_task


@shared_task(name="pruebas.fallar_si_existe")
def fallar_si_existe(marca: str) -> str:
    """Falla mientras exista el archivo `marca`: permite probar un reintento que sale bien."""
    if Path(marca).exists():
        raise RuntimeError(f"Falla a propósito: existe {marca}")
    return "ok"
