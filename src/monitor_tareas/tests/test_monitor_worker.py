"""El monitor con un servidor compatible con Redis y un worker de Celery reales."""

import time
from datetime import timedelta

import pytest
import redis
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from conftest import lista_con_banner
from core_config import celery_app
from importaciones.models import ArchivoPendiente
from importaciones.tests.procesos import esperar
from monitor_tareas.models import RegistroTarea
from precios.models import PrecioDeLista

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]


def importar_sin_worker(planillas, filas: int = 20) -> RegistroTarea:
    """Encola una importación (como la web) mientras todavía no hay worker."""
    ruta = planillas["csv"]({"L": lista_con_banner(filas)})
    call_command("importar_lista", str(ruta), proveedor="TOR")
    registro = RegistroTarea.objects.get()
    assert registro.estado == "encolada"
    assert registro.archivo == ArchivoPendiente.objects.get()
    assert registro.proveedor.abreviatura == "TOR"
    return registro


def test_una_importacion_pasa_por_encolada_activa_y_exitosa(broker, proveedor, planillas, request):
    registro = importar_sin_worker(planillas, filas=60_000)
    vistos = [registro.estado]
    request.getfixturevalue("worker")
    limite = time.monotonic() + 90
    while registro.estado != "exitosa" and time.monotonic() < limite:
        registro.refresh_from_db()
        if vistos[-1] != registro.estado:
            vistos.append(registro.estado)
        time.sleep(0.02)
    assert vistos == ["encolada", "activa", "exitosa"]
    assert registro.encolada_en < registro.iniciada_en < registro.finalizada_en
    assert registro.worker.startswith("pruebas-")
    assert registro.resultado[0]["filas_validas"] == 60_000


def test_una_fallida_guarda_el_traceback_y_se_reintenta_desde_la_pagina(
    worker, cliente_staff, tmp_path
):
    marca = tmp_path / "fallar"
    marca.touch()
    tarea_id = celery_app.send_task("pruebas.fallar_si_existe", args=[str(marca)]).id
    esperar(
        lambda: RegistroTarea.objects.filter(tarea_id=tarea_id, estado="fallida").exists(),
        mensaje=worker.salida(),
    )
    registro = RegistroTarea.objects.get(tarea_id=tarea_id)
    assert "RuntimeError: Falla a propósito" in registro.error
    assert "Traceback" in registro.traceback and "fallar_si_existe" in registro.traceback
    detalle = cliente_staff.get(reverse("monitor_tareas:detalle", kwargs={"pk": registro.pk}))
    assert "Reintentar" in detalle.content.decode()

    marca.unlink()
    url = reverse("monitor_tareas:reintentar", kwargs={"pk": registro.pk})
    cliente_staff.post(url)
    cliente_staff.post(url)  # doble clic
    registro.refresh_from_db()
    esperar(
        lambda: RegistroTarea.objects.filter(
            tarea_id=registro.reenviada_como, estado="exitosa"
        ).exists(),
        mensaje=worker.salida(),
    )
    nuevo = RegistroTarea.objects.get(tarea_id=registro.reenviada_como)
    assert nuevo.argumentos == registro.argumentos
    assert RegistroTarea.objects.filter(nombre="pruebas.fallar_si_existe").count() == 2


def test_una_encolada_cancelada_nunca_se_ejecuta(
    broker, proveedor, planillas, cliente_staff, request
):
    registro = importar_sin_worker(planillas)
    cliente_staff.post(reverse("monitor_tareas:cancelar", kwargs={"pk": registro.pk}))
    worker = request.getfixturevalue("worker")
    # El worker recibe el mensaje igual (nadie estaba en línea para la revocación) y no hace nada.
    esperar(lambda: "cancelada desde el monitor" in worker.salida(), mensaje=worker.salida())
    registro.refresh_from_db()
    assert registro.estado == "revocada"
    assert ArchivoPendiente.objects.get().estado == "cancelado"
    assert not PrecioDeLista.objects.exists()


def test_una_tarea_cuyo_mensaje_se_perdio_se_ve_perdida_y_se_reenvia(
    broker, proveedor, planillas, cliente_staff, request
):
    registro = importar_sin_worker(planillas)
    redis.Redis.from_url(broker).flushdb()  # Redis reiniciado sin persistencia
    RegistroTarea.objects.filter(pk=registro.pk).update(
        encolada_en=timezone.now() - timedelta(minutes=2)
    )
    lista = cliente_staff.get("/tareas/", {"vista": "encoladas"}).content.decode()
    assert "Perdida" in lista
    detalle = cliente_staff.get(reverse("monitor_tareas:detalle", kwargs={"pk": registro.pk}))
    assert "Reenviar" in detalle.content.decode()

    cliente_staff.post(reverse("monitor_tareas:reintentar", kwargs={"pk": registro.pk}))
    request.getfixturevalue("worker")
    registro.refresh_from_db()
    esperar(
        lambda: RegistroTarea.objects.filter(
            tarea_id=registro.reenviada_como, estado="exitosa"
        ).exists()
    )
    assert ArchivoPendiente.objects.get().estado == "procesado"
    registro.refresh_from_db()
    assert registro.estado == "revocada" and "se perdió" in registro.error
