"""La variación % del informe se redondea (nunca se trunca) en los dos motores."""

import pytest

from importaciones import informe
from importaciones.tests.test_informe import archivo_importado, cambio, fila_de
from precios.models import PrecioDeLista

pytestmark = pytest.mark.django_db


def test_la_variacion_se_redondea_a_un_decimal(proveedor, cliente_staff):
    archivo = archivo_importado(proveedor, actualizados=3, sospechosos=1)
    cambio(archivo, "DEC", "100", "109.996")  # +9,996 %
    # Precios enteros: SQLite los guarda como INTEGER y 2500 × 100 ÷ 25001 daba 9.
    cambio(archivo, "ENT", "25001", "27501")  # +9,9996 %
    cambio(archivo, "BAJA", "300", "299")  # −0,33 %: daba 0
    cambio(archivo, "RET", "3", "5", retenido=True)  # +66,67 %: daba 66

    contenido = cliente_staff.get(f"/importaciones/archivos/{archivo.pk}/").content.decode()
    assert '<td class="num sube">10,0 %</td>' in fila_de(contenido, "DEC")
    assert '<td class="num sube">10,0 %</td>' in fila_de(contenido, "ENT")
    assert '<td class="num baja">-0,3 %</td>' in fila_de(contenido, "BAJA")
    assert '<td class="num sube">66,7 %</td>' in fila_de(contenido, "RET")

    # El histograma cuenta cada cambio en su tramo: −0,33 % es de "−5 a 0", no de "0 a 5".
    barras = {barra.etiqueta: barra.cantidad for barra in informe.histograma(archivo)}
    assert (barras["−5 a 0"], barras["5 a 10"], barras["0 a 5"]) == (1, 2, 0)


def test_la_ficha_del_precio_redondea_la_variacion(proveedor, cliente_staff):
    archivo = archivo_importado(proveedor, actualizados=1)
    cambio(archivo, "ENT", "25001", "27501")
    precio = PrecioDeLista.objects.get(codigo="ENT")
    contenido = cliente_staff.get(f"/precios/{precio.pk}/").content.decode()
    assert '<td class="num">10,0 %</td>' in contenido
