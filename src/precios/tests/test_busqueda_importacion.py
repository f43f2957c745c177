"""Lo que importa la carga masiva (SQL de conjunto en importaciones/carga.py) se encuentra.

En SQLite el índice FTS5 lo mantienen triggers; en PostgreSQL, los índices de la tabla.
La lista pasa por el servicio real: subir, confirmar el mapeo sugerido y procesar.
"""

import pytest
from django.core.files import File

from conftest import escribir_xlsx
from importaciones import services
from precios.busqueda import buscar_precios
from precios.models import PrecioDeLista

pytestmark = pytest.mark.django_db


def importar(proveedor, ruta) -> None:
    with ruta.open("rb") as contenido:
        subida, propuestas = services.subir_planilla(
            proveedor, File(contenido, name=ruta.name), ruta.name
        )
    services.confirmar_importacion(
        subida, {p.hoja.nombre: p.mapeo for p in propuestas}, encolar=False
    )
    (resumen,) = services.procesar_pendientes()
    assert resumen["estado"] == "procesado", resumen


def encontrados(consulta: str) -> list[str]:
    return sorted(buscar_precios(consulta).values_list("codigo", flat=True))


def lista(filas: list[list[object]]) -> list[list[object]]:
    return [["Código", "Descripción", "Marca", "EAN", "Precio"], *filas]


def test_lo_importado_y_lo_actualizado_por_la_carga_se_encuentra(
    cliente_staff, proveedor, tmp_path
):
    primera = lista(
        [
            ["0037", "Mecha widia 6 mm", "Bosch", "7791234567897", "1234,50"],
            ["A100", "TORNILLO AUTOPERFORANTE 8X1 PUNTA MECHA", "FIXER", "", "10"],
            ["C1", "CAÑO EPOXI 1/2", "IPS", "", "500"],
            ["FUS-0006", "FUSIBLE NH 63A", "SICA", "", "800"],
        ]
    )
    importar(proveedor, escribir_xlsx(tmp_path / "julio.xlsx", {"Lista": primera}))
    assert PrecioDeLista.objects.count() == 4
    assert encontrados("fus0006") == encontrados("fus-0006") == ["FUS-0006"]
    assert encontrados("mecha") == ["0037", "A100"]
    assert encontrados("torn 8x1") == ["A100"]
    assert encontrados("cano") == ["C1"]
    assert encontrados("37") == ["0037"]
    assert encontrados("7791234567897") == ["0037"]

    # Segunda lista: cambia una descripción (upsert), otra sólo de precio, llega una nueva
    # y el EAN pasa a otro artículo.
    segunda = lista(
        [
            ["0037", "Mecha widia 6 mm", "Bosch", "", "1500"],
            ["A100", "TORNILLO FIX 8X1 CABEZA PHILLIPS", "FIXER", "7791234567897", "10"],
            ["C1", "CAÑO EPOXI 1/2", "IPS", "", "550"],
            ["T9", "Tarugo nylon 8 mm", "Fischer", "", "3"],
            ["FUS-0006", "FUSIBLE NH 63A", "SICA", "", "850"],
            ["050-007/SDS", "CODO 45", "", "", "90"],
        ]
    )
    importar(proveedor, escribir_xlsx(tmp_path / "agosto.xlsx", {"Lista": segunda}))
    assert encontrados("autoperforante") == []
    assert encontrados("tornillo phillips") == ["A100"]
    assert encontrados("mecha") == ["0037"]
    assert encontrados("cano 1/2") == ["C1"]
    assert encontrados("tarugo fischer") == ["T9"]
    assert encontrados("7791234567897") == ["A100"]
    assert encontrados("fus0006") == ["FUS-0006"]
    assert encontrados("050007sds") == ["050-007/SDS"]

    # Y por la vista del mostrador, con el precio nuevo.
    respuesta = cliente_staff.get("/precios/", {"q": "caño epoxi"})
    assert [p.codigo for p in respuesta.context["pagina"]] == ["C1"]
    assert "$ 550,00" in respuesta.content.decode()

    # Borrar el proveedor (cascada) también saca sus precios del índice.
    proveedor.delete()
    assert encontrados("mecha") == []
