"""Archivos hostiles: se rechazan antes de leerlos o los contiene el lector aislado."""

import io
import os
import zipfile

import pytest
import xlsxwriter
from django.core.files import File
from django.core.files.storage import default_storage
from django.test import override_settings

from conftest import lista_con_banner
from importaciones import services
from importaciones.lectores import FIRMA_OLE2, ErrorPlanilla
from importaciones.models import ArchivoPendiente, Subida
from importaciones.tests.procesos import esperar
from importaciones.tests.test_procesamiento import importar, precios_de

pytestmark = pytest.mark.django_db


def celda_lejana(ruta) -> None:
    """4 KB que hacen que calamine pida 512 GiB y aborte (SIGABRT): A1 y XFD1048576."""
    libro = xlsxwriter.Workbook(str(ruta))
    hoja = libro.add_worksheet("Lista")
    hoja.write_row(0, 0, ["Código", "Descripción", "Precio"])
    hoja.write_row(1, 0, ["A1", "Martillo", 100])
    hoja.write(1048575, 16383, "x")
    libro.close()


def test_un_archivo_que_tumba_al_lector_queda_en_error_y_el_resto_sigue(
    planillas, proveedor, tmp_path
):
    celda_lejana(tmp_path / "hostil.xlsx")
    (hostil,) = importar(proveedor, tmp_path / "hostil.xlsx")
    (bueno,) = importar(proveedor, planillas["csv"]({"L": lista_con_banner(3)}))
    assert hostil.estado == "error"
    assert "demasiado grande o complejo" in hostil.mensaje_error
    assert bueno.estado == "procesado"
    assert set(precios_de(proveedor)) == {"00001", "00002", "00003"}


@override_settings(TARIFARIO_LECTOR_SEGUNDOS=1)
def test_un_lector_que_tarda_demasiado_se_corta(planillas, proveedor):
    (archivo,) = importar(proveedor, planillas["csv"]({"L": lista_con_banner(400_000)}))
    assert archivo.estado == "error"
    assert "más de 1 segundos" in archivo.mensaje_error
    assert not precios_de(proveedor)


def archivos_guardados() -> set[str]:
    raiz = default_storage.path("")
    return {os.path.join(carpeta, n) for carpeta, _, nombres in os.walk(raiz) for n in nombres}


def subir(proveedor, contenido: bytes, nombre: str):
    return services.subir_planilla(proveedor, File(io.BytesIO(contenido), name=nombre), nombre)


@override_settings(TARIFARIO_MAX_DESCOMPRIMIDO_MB=5)
def test_un_zip_que_se_infla_demasiado_se_rechaza_al_subir(proveedor):
    contenido = io.BytesIO()
    with zipfile.ZipFile(contenido, "w", zipfile.ZIP_DEFLATED) as libro:
        libro.writestr("[Content_Types].xml", "<Types/>")
        libro.writestr("xl/workbook.xml", "<workbook/>")
        libro.writestr("xl/worksheets/sheet1.xml", b"0" * 20 * 1024 * 1024)
    assert len(contenido.getvalue()) < 100_000
    antes = archivos_guardados()
    with pytest.raises(ErrorPlanilla, match="más de 5 MB descomprimido"):
        subir(proveedor, contenido.getvalue(), "bomba.xlsx")
    assert not Subida.objects.exists()
    assert archivos_guardados() == antes


def test_una_planilla_con_contrasena_se_distingue_de_una_danada(proveedor):
    # Un libro de Office cifrado es un contenedor OLE2 con la secuencia "EncryptedPackage".
    cifrado = FIRMA_OLE2 + b"\x00" * 1000 + "EncryptedPackage".encode("utf-16-le") + b"\x00" * 100
    with pytest.raises(ErrorPlanilla, match="protegida con contraseña"):
        subir(proveedor, cifrado, "lista.xlsx")


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(180)
def test_el_worker_sobrevive_a_un_archivo_que_tumba_al_lector(
    worker, proveedor, planillas, tmp_path
):
    celda_lejana(tmp_path / "hostil.xlsx")
    for ruta in (tmp_path / "hostil.xlsx", planillas["csv"]({"L": lista_con_banner(5)})):
        with ruta.open("rb") as contenido:
            subida, propuestas = services.subir_planilla(proveedor, File(contenido), ruta.name)
        services.confirmar_importacion(subida, {propuestas[0].hoja.nombre: propuestas[0].mapeo})
    esperar(lambda: not ArchivoPendiente.objects.en_curso().exists(), mensaje=worker.salida())
    estados = dict(ArchivoPendiente.objects.values_list("nombre_archivo_origen", "estado"))
    assert estados == {"hostil.xlsx": "error", "lista.csv": "procesado"}
    assert worker.proceso.poll() is None
    assert "WorkerLostError" not in worker.salida()
