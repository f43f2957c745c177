"""Con un servidor compatible con Redis y un `celery worker` reales, en otros procesos."""

import ast
import re
import subprocess
import sys
from decimal import Decimal

import pytest
import redis
from django.conf import settings
from django.core.files import File
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from conftest import lista_con_banner
from importaciones import services
from importaciones.models import ArchivoPendiente
from importaciones.tests.procesos import entorno_de_pruebas, esperar
from precios.models import PrecioDeLista

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]


def test_lo_subido_por_la_web_llega_a_precios_por_el_worker(worker, cliente_staff, planillas):
    ruta = planillas["xlsx"](
        {"Herramientas": lista_con_banner(300), "Electricidad": lista_con_banner(50, inicio=900)}
    )
    archivo = SimpleUploadedFile(ruta.name, ruta.read_bytes())
    respuesta = cliente_staff.post(
        "/importaciones/",
        {"archivo": archivo, "nuevo_nombre": "El Tornillo", "nueva_abreviatura": "TOR"},
    )
    pagina = cliente_staff.get(respuesta.url)
    datos = {
        campo.html_name: campo.value() or ""
        for hoja in pagina.context["hojas"]
        for campo in hoja["form"]
        if campo.value() not in (None, False)
    }
    confirmacion = cliente_staff.post(respuesta.url, datos)
    assert confirmacion.status_code == 302

    esperar(
        lambda: not ArchivoPendiente.objects.en_curso().exists(),
        mensaje=f"El worker no terminó:\n{worker.salida()}",
    )
    estados = dict(ArchivoPendiente.objects.values_list("hoja_origen", "estado"))
    assert estados == {"Herramientas": "procesado", "Electricidad": "procesado"}
    assert PrecioDeLista.objects.count() == 350
    assert PrecioDeLista.objects.get(codigo="00949").precio == Decimal("9490.5")
    assert "importaciones.procesar_pendientes" in worker.salida()

    cola = cliente_staff.get(confirmacion.url + "?parcial=1").content.decode()
    assert 'data-en-curso="0"' in cola and cola.count("Procesado") == 2


def test_celery_call_devuelve_id_y_result_muestra_el_resumen(broker, worker, proveedor, planillas):
    ruta = planillas["csv"]({"L": lista_con_banner(7)})
    with ruta.open("rb") as contenido:
        subida, propuestas = services.subir_planilla(proveedor, File(contenido), ruta.name)
    services.confirmar_importacion(subida, {"CSV": propuestas[0].mapeo}, encolar=False)

    def celery(*argumentos: str) -> str:
        return subprocess.run(
            [sys.executable, "-m", "celery", "-A", "core_config", *argumentos],
            cwd=settings.BASE_DIR,
            env=entorno_de_pruebas(broker),
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout.strip()

    id_tarea = celery("call", "importaciones.procesar_pendientes")
    assert re.fullmatch(r"[0-9a-f-]{36}", id_tarea)
    esperar(lambda: celery("result", id_tarea).startswith("["), mensaje=worker.salida())
    (resumen,) = ast.literal_eval(celery("result", id_tarea))
    assert resumen["proveedor"] == "TOR" and resumen["hoja"] == "CSV"
    assert (resumen["estado"], resumen["filas_validas"], resumen["creados"]) == ("procesado", 7, 7)


def test_un_worker_que_arranca_procesa_lo_que_quedo_pendiente(
    broker, transactional_db, proveedor, planillas, request
):
    # Se encola sin worker y se vacía Redis, como si se hubiera reiniciado sin persistencia.
    call_command(
        "importar_lista", str(planillas["csv"]({"L": lista_con_banner(4)})), proveedor="TOR"
    )
    redis.Redis.from_url(broker).flushdb()
    assert ArchivoPendiente.objects.get().estado == "pendiente"
    request.getfixturevalue("worker")
    esperar(lambda: ArchivoPendiente.objects.get().estado == "procesado")
    assert PrecioDeLista.objects.count() == 4
