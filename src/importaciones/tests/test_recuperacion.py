"""Un archivo no espera a un worker muerto: latido del reclamo y procesos que ya no existen.

Con la base de verdad (transaction=True): el latido corre en su propio hilo, con su
propia conexión, como en el worker.
"""

import socket
import subprocess
import sys
import time

import pytest
from django.core.files import File
from django.utils import timezone

from conftest import lista_con_banner
from importaciones import reclamo, services
from importaciones.models import ArchivoPendiente

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(120)]


def reclamado(proveedor, planillas) -> ArchivoPendiente:
    ruta = planillas["csv"]({"L": lista_con_banner(5)})
    with ruta.open("rb") as contenido:
        subida, propuestas = services.subir_planilla(
            proveedor, File(contenido, name=ruta.name), ruta.name
        )
    services.confirmar_importacion(
        subida, {propuestas[0].hoja.nombre: propuestas[0].mapeo}, encolar=False
    )
    archivo = reclamo.reclamar_siguiente()
    assert archivo is not None
    return archivo


def pid_muerto() -> int:
    proceso = subprocess.Popen([sys.executable, "-c", "pass"])
    proceso.wait()
    return proceso.pid


def test_el_latido_corre_el_plazo_aunque_no_haya_avance(proveedor, planillas, settings):
    settings.TARIFARIO_LEASE_SEGUNDOS = 1
    archivo = reclamado(proveedor, planillas)
    with reclamo.latido(archivo):
        time.sleep(3)  # tres plazos sin leer una fila (la carga de una lista grande)
        archivo.refresh_from_db()
        assert archivo.vence_en > timezone.now()
        assert not ArchivoPendiente.objects.reclamables(timezone.now()).exists()
    time.sleep(1.5)
    # Sin latido (el worker murió) el plazo vence y otro lo puede tomar.
    assert ArchivoPendiente.objects.reclamables(timezone.now()).filter(pk=archivo.pk).exists()


def test_el_latido_no_revive_un_reclamo_que_tomo_otro(proveedor, planillas, settings):
    settings.TARIFARIO_LEASE_SEGUNDOS = 1
    archivo = reclamado(proveedor, planillas)
    with reclamo.latido(archivo):
        ArchivoPendiente.objects.filter(pk=archivo.pk).update(vence_en=timezone.now())
        otro = reclamo.reclamar_siguiente()
        time.sleep(1.5)  # más de un latido del reclamo viejo
    vence = otro.vence_en
    otro.refresh_from_db()
    assert (otro.intentos, otro.vence_en) == (2, vence)
    with pytest.raises(reclamo.ReclamoPerdido):
        reclamo.renovar_reclamo(archivo, 5)


def test_se_liberan_ya_los_reclamos_de_procesos_muertos_de_esta_maquina(proveedor, planillas):
    maquina = socket.gethostname()
    muerto, zombi, vivo, de_otra_maquina = (reclamado(proveedor, planillas) for _ in range(4))
    # Un hijo que terminó y nadie recogió: muerto, aunque kill(pid, 0) todavía lo encuentre.
    sin_recoger = subprocess.Popen([sys.executable, "-c", "pass"])
    time.sleep(1)
    for archivo, worker in (
        (muerto, f"{maquina}:{pid_muerto()}"),
        (zombi, f"{maquina}:{sin_recoger.pid}"),
        (vivo, reclamo.nombre_worker()),
        (de_otra_maquina, f"otra-maquina:{pid_muerto()}"),
    ):
        ArchivoPendiente.objects.filter(pk=archivo.pk).update(worker=worker)

    assert reclamo.liberar_reclamos_de_procesos_muertos() == 2
    sin_recoger.wait()

    reclamables = ArchivoPendiente.objects.reclamables(timezone.now()).order_by("pk")
    assert list(reclamables.values_list("pk", flat=True)) == [muerto.pk, zombi.pk]
    # Los retoma el próximo reclamo, que cuenta el intento.
    retomado = reclamo.reclamar_siguiente()
    assert (retomado.pk, retomado.intentos) == (muerto.pk, 2)
