from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.storage import InMemoryStorage, default_storage
from django.test import override_settings

from conftest import lista_con_banner
from importaciones.tests.test_procesamiento import importar, precios_de

pytestmark = pytest.mark.django_db


@override_settings(
    STORAGES={
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
)
@pytest.mark.parametrize("formato", ["xlsx", "csv"])
def test_importa_con_un_storage_que_no_es_el_disco(planillas, proveedor, formato):
    # Como un S3 (django-storages): ningún paso puede suponer una ruta local.
    filas = [*lista_con_banner(20), ["X1", "Sin precio", "Marca", "-", "21%", "x1"]]
    (archivo,) = importar(proveedor, planillas[formato]({"Lista": filas}))
    assert archivo.estado == "procesado", archivo.mensaje_error
    assert precios_de(proveedor)["00020"] == Decimal("200.5")
    assert default_storage.exists(archivo.ruta_csv)
    assert default_storage.exists(archivo.ruta_descartes)
    assert isinstance(default_storage._wrapped, InMemoryStorage)
    assert not Path(default_storage.path(archivo.ruta_csv)).exists()  # nada quedó en disco
