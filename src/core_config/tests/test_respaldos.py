from datetime import datetime, timedelta

import pytest
from django.core.management import call_command

from conftest import lista_con_banner
from core_config.respaldos import FORMATO_FECHA, PREFIJO, podar
from importaciones.models import Subida
from importaciones.tests.test_procesamiento import importar
from precios.models import PrecioDeLista


@pytest.mark.django_db(transaction=True)
def test_respaldar_borrar_y_restaurar_deja_los_mismos_precios_y_archivos(
    planillas, proveedor, tmp_path
):
    importar(proveedor, planillas["xlsx"]({"Lista": lista_con_banner(50)}))
    antes = set(PrecioDeLista.objects.values_list("codigo", "precio"))
    archivo = Subida.objects.get().archivo
    nombre, storage = archivo.name, archivo.storage
    call_command("respaldar", destino=tmp_path / "respaldos")

    PrecioDeLista.objects.all().delete()
    storage.delete(nombre)
    assert not storage.exists(nombre)

    (carpeta,) = (tmp_path / "respaldos").glob(f"{PREFIJO}*")
    call_command("restaurar", str(carpeta), si=True)
    assert set(PrecioDeLista.objects.values_list("codigo", "precio")) == antes
    assert storage.exists(nombre)


def test_se_conservan_los_ultimos_diarios_y_semanales(tmp_path):
    hoy = datetime(2026, 11, 24, 3, 30)
    for dias in range(60):
        (tmp_path / f"{PREFIJO}{hoy - timedelta(days=dias):{FORMATO_FECHA}}").mkdir()
    podar(tmp_path, diarios=7, semanales=4)
    quedan = sorted(p.name.removeprefix(PREFIJO)[:8] for p in tmp_path.iterdir())
    diarios = {f"{hoy - timedelta(days=d):%Y%m%d}" for d in range(7)}
    assert diarios <= set(quedan)
    # Además, el último respaldo de cada una de las 4 semanas más recientes: a lo sumo 10 en total.
    assert 7 <= len(quedan) <= 10
    assert min(quedan) >= f"{hoy - timedelta(days=28):%Y%m%d}"
