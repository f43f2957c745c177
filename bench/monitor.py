"""`make bench-monitor`: latencia encolar → empezar con la auditoría, y la lista con 100k tareas.

Corre en SQLite y PostgreSQL, cada motor en un proceso con una base vacía,
un valkey-server y un worker de Celery reales.
"""

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from comun import RAIZ, base_vacia, correr_interno, entorno_de_bench, percentil, preparar_django


def medir(tareas: int, historial: int) -> dict:
    preparar_django(estaticos=True)
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.utils import timezone

    from core_config import broker_embebido
    from importaciones.tasks import procesar_pendientes
    from monitor_tareas.models import RegistroTarea
    from proveedores.models import Proveedor

    puerto = broker_embebido.puerto_libre()
    broker = broker_embebido.iniciar(puerto, Path(settings.DATA_DIR))
    url = f"redis://127.0.0.1:{puerto}/0"
    from core_config import celery_app

    celery_app.conf.broker_url = url
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "core_config",
            "worker",
            "-c",
            "1",
            "--without-mingle",
            "--without-gossip",
            "-l",
            "WARNING",
        ],
        cwd=RAIZ / "src",
        env={**os.environ, "CELERY_BROKER_URL": url},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        # Calentamiento: el worker arranca y la primera tarea abre conexiones.
        for _ in range(20):
            procesar_pendientes.delay()
        time.sleep(3)
        latencias = []
        for _ in range(tareas):
            inicio = timezone.now()
            tarea_id = procesar_pendientes.delay().id
            while True:
                iniciada = (
                    RegistroTarea.objects.filter(tarea_id=tarea_id)
                    .values_list("iniciada_en", flat=True)
                    .first()
                )
                if iniciada:
                    break
                time.sleep(0.001)
            latencias.append((iniciada - inicio).total_seconds() * 1000)
            while not RegistroTarea.objects.filter(tarea_id=tarea_id, estado="exitosa").exists():
                time.sleep(0.001)
    finally:
        worker.terminate()
        worker.wait()
        broker.terminate()

    proveedores = [Proveedor.objects.create(nombre=f"P{i}", abreviatura=f"P{i}") for i in range(20)]
    estados = (
        ["exitosa"] * 80 + ["fallida"] * 10 + ["encolada"] * 5 + ["activa"] * 3 + ["revocada"] * 2
    )
    ahora = timezone.now()
    azar = random.Random(1)
    RegistroTarea.objects.bulk_create(
        [
            RegistroTarea(
                tarea_id=f"hist-{i}",
                nombre=azar.choice(
                    ["importaciones.procesar_pendientes"] * 9 + ["monitor_tareas.purgar_historial"]
                ),
                estado=azar.choice(estados),
                proveedor=azar.choice(proveedores),
                encolada_en=ahora - timedelta(minutes=azar.randrange(0, 90 * 24 * 60)),
            )
            for i in range(historial)
        ],
        batch_size=5000,
    )
    cliente = Client()
    cliente.force_login(get_user_model().objects.create_user("bench", is_staff=True))
    hoy = timezone.localdate()
    filtros = {
        "sin filtro": {},
        "estado": {"estado": "fallida"},
        "pestaña finalizadas": {"vista": "finalizadas"},
        "proveedor": {"proveedor": proveedores[3].pk},
        "fechas (7 días)": {
            "desde": (hoy - timedelta(days=7)).isoformat(),
            "hasta": hoy.isoformat(),
        },
        "nombre": {"nombre": "monitor_tareas.purgar_historial"},
        "todo junto": {
            "estado": "exitosa",
            "proveedor": proveedores[5].pk,
            "desde": (hoy - timedelta(days=30)).isoformat(),
            "nombre": "importaciones.procesar_pendientes",
        },
        "página 50": {"pagina": 50},
        "refresco parcial": {"parcial": 1},
    }
    lista = {}
    for nombre, parametros in filtros.items():
        tiempos = []
        for _ in range(30):
            inicio = time.perf_counter()
            respuesta = cliente.get("/tareas/", parametros)
            tiempos.append((time.perf_counter() - inicio) * 1000)
            assert respuesta.status_code == 200
        lista[nombre] = round(percentil(tiempos, 95), 1)
    return {
        "latencia_mediana_ms": round(statistics.median(latencias), 2),
        "latencia_p95_ms": round(percentil(latencias, 95), 2),
        "lista_p95_ms": lista,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tareas", type=int, default=200)
    parser.add_argument("--historial", type=int, default=100_000)
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432/test")
    parser.add_argument("--interno", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.interno:
        print(json.dumps(medir(args.tareas, args.historial)))
        return
    print(
        f"Máquina: {os.cpu_count()} núcleos. {args.tareas} tareas; historial de {args.historial:,}."
    )
    for motor in ("sqlite", "postgresql"):
        with tempfile.TemporaryDirectory(prefix="tarifario-bench-") as directorio:
            url = base_vacia(motor, directorio, args.postgres, "tarifario_bench")
            comando = [sys.executable, __file__, "--interno", "--tareas", str(args.tareas)]
            comando += ["--historial", str(args.historial)]
            r, _pico_rss_mb = correr_interno(
                comando, entorno_de_bench(url, directorio), directorio, motor
            )
            print(
                f"{motor}: encolar → empezar mediana {r['latencia_mediana_ms']} ms "
                f"(p95 {r['latencia_p95_ms']} ms)"
            )
            for filtro, p95 in r["lista_p95_ms"].items():
                print(f"  /tareas/ {filtro:20} p95 {p95:7.1f} ms")


if __name__ == "__main__":
    main()
