"""La migración 0007 (código sin separadores) sobre una base con precios, ida y vuelta."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from precios.busqueda import buscar_precios
from precios.tests.test_busqueda import crear, en_el_indice
from proveedores.models import Proveedor

ANTES = ("precios", "0006_moneda")
DESPUES = ("precios", "0007_busqueda_codigo_sin_separadores")


def migrar(destino: tuple[str, str]) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate([destino])


@pytest.mark.django_db(transaction=True)
def test_la_0007_indexa_los_codigos_que_ya_estaban_y_vuelve_atras():
    proveedor = Proveedor.objects.create(nombre="Fusibles", abreviatura="FUS")
    fusible = crear(proveedor, "FUS-0006", "FUSIBLE NH 63A")
    try:
        migrar(ANTES)
        # El índice de 0003/0005: el código partido, nada junto.
        assert en_el_indice("fus0006") == []
        assert en_el_indice("fus") == [fusible.pk]
        # Los triggers de antes siguen andando: lo que entra ahora también se indexa al migrar.
        tapa = crear(proveedor, "TAP-12", "TAPA FUSIBLE")
        assert en_el_indice("tap") == [tapa.pk]
    finally:
        migrar(DESPUES)
    assert en_el_indice("fus0006") == [fusible.pk]
    assert en_el_indice("tap12") == [tapa.pk]
    assert list(buscar_precios("fus0006").values_list("codigo", flat=True)) == ["FUS-0006"]
    assert list(buscar_precios("tap12 fusible").values_list("codigo", flat=True)) == ["TAP-12"]
