"""Listas reales de proveedores (../shared/corpus_real, ver FUENTES.md), leídas en su lugar."""

from decimal import Decimal

import pytest
from django.core.files import File

from conftest import corpus
from importaciones import services
from precios.models import PrecioDeLista
from proveedores.models import Proveedor

pytestmark = pytest.mark.django_db

CASOS = {
    # archivo: (hoja, fila de encabezado, {código: precio} de las primeras filas de FUENTES.md)
    "ar_aceros_bragado_precios.xlsx": (
        "Hoja1",
        1,
        {"ACAB00032": "5074.44", "ACAB00038": "345.55", "ACAB00041": "7186.99"},
    ),
    "ar_fedafar_farmacia_price_list.xlsx": (
        "Sheet1",
        4,
        {"000023593": "0.01", "000023592": "16500", "000023697": "25725"},
    ),
    "ar_distribuidora3d_lista390_jul2024.xlsx": (
        "Reemplazable",
        16,
        {"LU01": "1045", "NA3": "10285", "A2T500": "3236"},
    ),
}


@pytest.mark.parametrize("nombre", CASOS)
def test_lista_real_se_importa_con_la_sugerencia_automatica(nombre):
    hoja, fila_encabezado, esperados = CASOS[nombre]
    proveedor = Proveedor.objects.create(nombre="Real", abreviatura="REAL")
    with corpus(nombre).open("rb") as contenido:
        subida, propuestas = services.subir_planilla(proveedor, File(contenido), nombre)
    propuesta = next(p for p in propuestas if p.hoja.nombre == hoja)
    assert propuesta.completa
    assert propuesta.mapeo["fila_encabezado"] == fila_encabezado

    (archivo,) = services.confirmar_importacion(subida, {hoja: propuesta.mapeo}, encolar=False)
    services.procesar_pendientes()
    archivo.refresh_from_db()
    assert archivo.estado == "procesado", archivo.mensaje_error
    precios = dict(PrecioDeLista.objects.values_list("codigo", "precio"))
    for codigo, precio in esperados.items():
        assert precios[codigo] == Decimal(precio), codigo
