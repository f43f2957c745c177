"""La cola del proveedor (donde cae la persona al confirmar): avance de cada archivo."""

from datetime import timedelta

import pytest
from django.utils import timezone

from importaciones.models import ArchivoPendiente, Subida
from proveedores.models import Proveedor

pytestmark = pytest.mark.django_db


def archivo_de(proveedor: Proveedor, estado: str, hoja: str, **campos) -> ArchivoPendiente:
    subida = Subida.objects.create(
        proveedor=proveedor, nombre_original="lista.xlsx", formato="xlsx", tamano=1
    )
    return ArchivoPendiente.objects.create(
        proveedor=proveedor,
        subida=subida,
        hoja_origen=hoja,
        mapeo={},
        nombre_archivo_origen="lista.xlsx",
        estado=estado,
        **campos,
    )


def fila(contenido: str, archivo: ArchivoPendiente) -> str:
    desde = contenido.index(f'id="archivo-{archivo.pk}"')
    return contenido[desde : contenido.index("</tr>", desde)]


def test_la_cola_muestra_barra_porcentaje_y_tiempo_restante_del_archivo_en_proceso(
    cliente_staff, proveedor
):
    hace_un_minuto = timezone.now() - timedelta(seconds=60)
    en_proceso = archivo_de(
        proveedor,
        "procesando",
        "Herramientas",
        filas_totales=20_000,
        filas_leidas=5_000,
        iniciado_en=hace_un_minuto,
    )
    en_espera = archivo_de(proveedor, "pendiente", "Electricidad")

    contenido = cliente_staff.get(
        f"/importaciones/proveedores/{proveedor.pk}/cola/", {"parcial": 1}
    ).content.decode()
    procesando = fila(contenido, en_proceso)
    # Sin separador de miles en los atributos: max="20.000" serían veinte filas.
    assert '<progress max="20000" value="5000"></progress>' in procesando
    assert '<strong class="porcentaje">25 %</strong>' in procesando
    assert "5.000 / 20.000 filas" in procesando
    assert "faltan ~3 min" in procesando  # 15.000 filas a ~83 filas/s
    assert "En espera" in fila(contenido, en_espera)
    assert 'data-en-curso="1"' in contenido


def test_el_porcentaje_no_pasa_de_100_cuando_se_leyo_mas_que_lo_estimado(cliente_staff, proveedor):
    archivo = archivo_de(
        proveedor,
        "procesando",
        "L",
        filas_totales=1_000,
        filas_leidas=1_250,
        iniciado_en=timezone.now() - timedelta(seconds=5),
    )
    contenido = cliente_staff.get(f"/importaciones/proveedores/{proveedor.pk}/cola/").content
    procesando = fila(contenido.decode(), archivo)
    assert '<strong class="porcentaje">100 %</strong>' in procesando
    assert "terminando…" in procesando and "faltan" not in procesando
