"""Recuperación en segundos con los plazos por defecto (latido del reclamo cada 8 s,
plazo de 25 s, barrido cada 30 s), con workers, Redis y base reales.

- Corte de luz y reinicio: el worker que arranca libera los archivos que tenían procesos
  muertos de su máquina, sin esperar el plazo.
- Un worker que deja de responder (congelado con SIGSTOP, como una máquina que se cuelga
  o queda sin red): el proceso existe, así que sólo el plazo lo delata; otro worker vivo lo
  toma dentro de plazo + barrido.

Cada prueba imprime una línea `MEDIDA …` (`pytest -rP`).
"""

import contextlib
import os
import signal
import time

import pytest

from conftest import lista_con_banner
from importaciones.tests.procesos import (
    TERMINADOS,
    actual,
    encolar,
    esperados,
    esperar,
    matar_grupo,
    medir,
    precios_de,
)
from precios.models import HistorialPrecio, PrecioDeLista

pytestmark = [
    pytest.mark.worker,
    pytest.mark.fallas,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(300),
]

FILAS = 150_000


def aplicado_una_vez(archivo, proveedor) -> None:
    assert (archivo.estado, archivo.intentos, archivo.creados) == ("procesado", 2, FILAS)
    assert PrecioDeLista.objects.filter(proveedor=proveedor).count() == FILAS
    assert precios_de(proveedor) == esperados(FILAS)
    # Primera lista del proveedor: ni un solo cambio de precio que anotar.
    assert not HistorialPrecio.objects.exists()


def test_sigkill_al_worker_entero_y_reinicio_termina_en_menos_de_60_s(
    worker_con, proveedor, planillas
):
    ruta = planillas["csv"]({"L": lista_con_banner(FILAS)})
    primero = worker_con()
    archivo = encolar(proveedor, ruta)
    esperar(lambda: actual(archivo).filas_leidas > 20_000, 120, f"No avanzó:\n{primero.salida()}")

    matar_grupo(primero)
    assert actual(archivo).estado == "procesando"

    segundo = worker_con(beat=True)
    arranque = time.monotonic()
    esperar(lambda: actual(archivo).estado in TERMINADOS, 120, segundo.salida())
    recuperacion = time.monotonic() - arranque

    aplicado_una_vez(archivo, proveedor)
    assert recuperacion < 60, f"Tardó {recuperacion:.1f} s desde que arrancó el worker nuevo"
    assert "Se liberaron 1 archivos de procesos que ya no existen" in segundo.salida()
    medir("37-sigkill-y-reinicio", recuperacion_s=f"{recuperacion:.1f}", duplicados=0)


def test_worker_congelado_lo_toma_otro_dentro_de_plazo_mas_barrido(
    worker_con, proveedor, planillas
):
    ruta = planillas["csv"]({"L": lista_con_banner(FILAS)})
    congelado = worker_con()
    archivo = encolar(proveedor, ruta)
    esperar(lambda: actual(archivo).filas_leidas > 20_000, 120, congelado.salida())
    otro = worker_con(beat=True)

    os.killpg(congelado.proceso.pid, signal.SIGSTOP)
    try:
        desde = time.monotonic()
        esperar(lambda: actual(archivo).intentos == 2, 90, otro.salida())
        tomado = time.monotonic() - desde
        esperar(lambda: actual(archivo).estado in TERMINADOS, 120, otro.salida())
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(congelado.proceso.pid, signal.SIGKILL)

    aplicado_una_vez(archivo, proveedor)
    # Plazo (25 s desde el último latido) + barrido (30 s) = 55 s, más la entrega.
    assert tomado < 60, f"Otro worker lo tomó recién a los {tomado:.1f} s"
    medir("38-worker-congelado", tomado_s=f"{tomado:.1f}", duplicados=0)
