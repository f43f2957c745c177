"""Qué hojas se proponen: la lista del proveedor, no las copias con los precios del comercio."""

from decimal import Decimal

import pytest
from django.core.files import File
from django.core.management import call_command

from conftest import corpus
from importaciones import services
from importaciones.models import ArchivoPendiente, ConfigImportacion
from precios.models import PrecioDeLista

pytestmark = pytest.mark.django_db

ENCABEZADO = ["Código", "Descripción", "Precio"]
PROVEEDOR = [[f"LU{i:02d}", f"Abrelatas modelo {i}", 1000 + i * 45] for i in range(1, 31)]
# La copia del comercio: los mismos códigos con +50 % (precio al público).
PUBLICO = [[c, d, p * 1.5] for c, d, p in PROVEEDOR]
NOTAS = [["Condiciones de venta"], ["Pago a 30 días"]]


def libro(planillas, hojas: dict[str, list], nombre: str = "libro.xlsx"):
    return planillas["xlsx"]({h: [ENCABEZADO, *filas] for h, filas in hojas.items()}, nombre)


def subir(proveedor, ruta):
    with ruta.open("rb") as contenido:
        return services.subir_planilla(proveedor, File(contenido, name=ruta.name), ruta.name)


def marcadas(propuestas) -> dict[str, tuple[bool, str]]:
    return {p.hoja.nombre: (p.importar, p.aviso) for p in propuestas}


@pytest.mark.parametrize("factor", [1.5, 0.8], ids=["con margen", "con descuento"])
def test_una_copia_con_otros_precios_no_se_propone_marcada(planillas, proveedor, factor):
    copia = [[c, d, p * factor] for c, d, p in PROVEEDOR]
    ruta = libro(planillas, {"Reemplazable": PROVEEDOR, "Publico": copia, "Notas": NOTAS})
    _subida, propuestas = subir(proveedor, ruta)
    assert marcadas(propuestas) == {
        "Reemplazable": (True, ""),
        "Publico": (False, "parece una copia de «Reemplazable» con otros precios"),
        "Notas": (False, ""),
    }


def test_una_copia_que_perdio_los_codigos_se_reconoce_por_la_descripcion(planillas, proveedor):
    sin_codigos = [["", d, p * 1.5] for _c, d, p in PROVEEDOR]
    _subida, propuestas = subir(
        proveedor, libro(planillas, {"Lista": PROVEEDOR, "Etiquetas": sin_codigos})
    )
    assert marcadas(propuestas)["Etiquetas"] == (
        False,
        "parece una copia de «Lista» con otros precios",
    )


def test_los_codigos_completos_del_comercio_son_los_del_proveedor(planillas, proveedor):
    completos = [[f"{c}/3D", d, p] for c, d, p in PROVEEDOR]
    _subida, propuestas = subir(proveedor, libro(planillas, {"Lista": PROVEEDOR, "BDD": completos}))
    assert marcadas(propuestas)["BDD"] == (False, "repite los códigos y precios de «Lista»")


def test_una_hoja_que_repite_otra_con_los_mismos_precios_tampoco(planillas, proveedor):
    _subida, propuestas = subir(proveedor, libro(planillas, {"Lista": PROVEEDOR, "BDD": PROVEEDOR}))
    assert marcadas(propuestas) == {
        "Lista": (True, ""),
        "BDD": (False, "repite los códigos y precios de «Lista»"),
    }


def test_la_eleccion_de_hojas_se_recuerda_para_la_proxima_lista(planillas, proveedor):
    # Una persona elige importar la copia "BDD" (con sus precios) y no la lista: se respeta.
    ruta = libro(planillas, {"Lista": PROVEEDOR, "BDD": PUBLICO}, "julio.xlsx")
    subida, propuestas = subir(proveedor, ruta)
    por_nombre = {p.hoja.nombre: p for p in propuestas}
    services.confirmar_importacion(
        subida,
        {"BDD": por_nombre["BDD"].mapeo},
        encolar=False,
        omitidas={"Lista": por_nombre["Lista"].mapeo},
    )
    _subida, propuestas = subir(proveedor, libro(planillas, {"Lista": PROVEEDOR, "BDD": PUBLICO}))
    assert {p.hoja.nombre: p.importar for p in propuestas} == {"Lista": False, "BDD": True}
    assert dict(ConfigImportacion.objects.values_list("nombre_config", "importar")) == {
        "Lista": False,
        "BDD": True,
    }


def _datos_de_dos_hojas() -> dict[str, str]:
    return {
        f"hoja{i}-{campo}": valor
        for i in (0, 1)
        for campo, valor in (
            ("importar", "on"),
            ("fila_encabezado", "1"),
            ("codigo", "A"),
            ("descripcion", "B"),
            ("precio", "C"),
        )
    }


def test_el_mismo_codigo_con_dos_precios_en_dos_hojas_marcadas_frena_la_subida(
    cliente_staff, planillas, proveedor
):
    ruta = libro(planillas, {"Reemplazable": PROVEEDOR, "Publico": PUBLICO})
    with ruta.open("rb") as archivo:
        url = cliente_staff.post(
            "/importaciones/", {"proveedor": proveedor.pk, "archivo": archivo}
        )["Location"]
    respuesta = cliente_staff.post(url, _datos_de_dos_hojas())
    contenido = respuesta.content.decode()
    assert respuesta.status_code == 200 and not ArchivoPendiente.objects.exists()
    assert "dos hojas elegidas dan otro precio al mismo código" in contenido
    assert "«Reemplazable» y «Publico» tienen 30 códigos en común" in contenido
    assert "LU01" in contenido and "1.045" in contenido and "1.567,50" in contenido

    # La persona lo vio y decide importar las dos.
    respuesta = cliente_staff.post(url, {**_datos_de_dos_hojas(), "importar_igual": "1"})
    assert respuesta.status_code == 302 and ArchivoPendiente.objects.count() == 2


def test_importar_lista_sin_hoja_importa_la_del_proveedor_y_no_la_copia(planillas, proveedor):
    ruta = libro(planillas, {"Reemplazable": PROVEEDOR, "Publico": PUBLICO})
    call_command("importar_lista", str(ruta), "--proveedor", "TOR", "--ahora")
    assert PrecioDeLista.objects.get(codigo="LU01").precio == Decimal("1045")
    assert list(ArchivoPendiente.objects.values_list("hoja_origen", flat=True)) == ["Reemplazable"]


def test_en_el_libro_real_de_distribuidora_3d_solo_se_propone_la_hoja_del_proveedor(proveedor):
    nombre = "ar_distribuidora3d_lista390_jul2024.xlsx"
    with corpus(nombre).open("rb") as contenido:
        _subida, propuestas = services.subir_planilla(proveedor, File(contenido), nombre)
    elegidas = [p.hoja.nombre for p in propuestas if p.importar]
    assert elegidas == ["Reemplazable"], marcadas(propuestas)
