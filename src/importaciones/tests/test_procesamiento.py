from decimal import Decimal

import pytest
from django.core.files import File
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import lista_con_banner
from importaciones import reclamo, services
from importaciones.models import ArchivoPendiente
from precios.models import Articulo, ArticuloProveedor, ArticuloSinRevisar, PrecioDeLista
from proveedores.models import Proveedor

pytestmark = pytest.mark.django_db


def importar(proveedor, ruta, hojas=None) -> list[ArchivoPendiente]:
    """Registra y confirma como la web (mapeo sugerido) y procesa en este proceso."""
    with ruta.open("rb") as contenido:
        subida, propuestas = services.subir_planilla(
            proveedor, File(contenido, name=ruta.name), ruta.name
        )
    elecciones = {
        p.hoja.nombre: p.mapeo for p in propuestas if hojas is None or p.hoja.nombre in hojas
    }
    archivos = services.confirmar_importacion(subida, elecciones, encolar=False)
    services.procesar_pendientes()
    for archivo in archivos:
        archivo.refresh_from_db()
    return archivos


def precios_de(proveedor) -> dict[str, Decimal]:
    return dict(PrecioDeLista.objects.filter(proveedor=proveedor).values_list("codigo", "precio"))


@pytest.mark.parametrize("formato", ["xlsx", "xls", "ods", "csv"])
def test_importa_lista_con_banner_y_coma_decimal_en_cada_formato(planillas, proveedor, formato):
    (archivo,) = importar(proveedor, planillas[formato]({"Lista": lista_con_banner(5)}))
    assert archivo.estado == "procesado" and archivo.procesado
    assert (archivo.filas_leidas, archivo.filas_validas, archivo.creados) == (5, 5, 5)
    precio = PrecioDeLista.objects.get(proveedor=proveedor, codigo="00003")
    assert precio.precio == Decimal("30.5")
    assert precio.descripcion == "Tornillo autorroscante 3 mm"
    assert (precio.marca, precio.iva, precio.bulto) == ("FIXER", Decimal("0.21"), 10)


def test_el_nombre_del_sistema_original_procesa_lo_pendiente(planillas, proveedor):
    # ExcelRepository.procesar_pendientes(limit=N) sigue andando para quien lo llamaba.
    from importaciones.repositories import ExcelRepository

    rutas = [planillas["csv"]({"L": lista_con_banner(3)}, nombre=f"{n}.csv") for n in "ab"]
    for ruta in rutas:
        with ruta.open("rb") as contenido:
            subida, propuestas = services.subir_planilla(
                proveedor, File(contenido, name=ruta.name), ruta.name
            )
        (propuesta,) = propuestas
        services.confirmar_importacion(
            subida, {propuesta.hoja.nombre: propuesta.mapeo}, encolar=False
        )
    (resumen,) = ExcelRepository.procesar_pendientes(limit=1)
    assert resumen["estado"] == "procesado" and resumen["creados"] == 3
    estados = sorted(ArchivoPendiente.objects.values_list("estado", flat=True))
    assert estados == ["pendiente", "procesado"]


def test_reimportar_actualiza_solo_lo_que_cambio(planillas, proveedor):
    importar(proveedor, planillas["xlsx"]({"Lista": lista_con_banner(5)}))
    nueva = lista_con_banner(6)
    nueva[5][3] = "21,99"  # cambia el precio del código 00002 (+7 %)
    (archivo,) = importar(proveedor, planillas["xlsx"]({"Lista": nueva}, nombre="agosto.xlsx"))
    assert (archivo.creados, archivo.actualizados, archivo.sin_cambios) == (1, 1, 4)
    assert precios_de(proveedor)["00002"] == Decimal("21.99")
    assert PrecioDeLista.objects.filter(proveedor=proveedor).count() == 6


def test_codigo_con_o_sin_ceros_es_el_mismo_articulo(planillas, proveedor):
    importar(
        proveedor,
        planillas["csv"](
            {"L": [["Codigo", "Descripcion", "Precio"], ["0037", "Mecha 6mm", "100"]]}
        ),
    )
    (archivo,) = importar(
        proveedor,
        planillas["csv"](
            {"L": [["Codigo", "Descripcion", "Precio"], ["37", "Mecha 6mm", "120"]]}, nombre="b.csv"
        ),
    )
    assert archivo.actualizados == 1
    assert precios_de(proveedor) == {"37": Decimal("120")}


def test_codigos_repetidos_gana_la_primera_fila_y_el_informe_lista_las_demas(planillas, proveedor):
    filas = [
        ["Código", "Descripción", "Precio"],
        ["A1", "Primera", "10"],
        ["A2", "Otra", "5"],
        ["A1", "Última", "12"],
    ]
    (archivo,) = importar(proveedor, planillas["xlsx"]({"L": filas}))
    assert archivo.codigos_repetidos == 1
    assert archivo.filas_validas == 3 and archivo.creados == 2
    precio = PrecioDeLista.objects.get(proveedor=proveedor, codigo="A1")
    assert (precio.descripcion, precio.precio) == ("Primera", Decimal("10"))
    (repetida,) = archivo.observaciones.filter(tipo="repetida")
    assert (repetida.fila, repetida.codigo, repetida.descripcion, repetida.precio) == (
        4,
        "A1",
        "Última",
        Decimal("12"),
    )
    assert repetida.precio_lista_id == precio.pk
    assert repetida.detalle.startswith("mismo código, otro artículo: queda la fila 2")


def test_filas_sin_precio_se_descartan_y_las_sin_codigo_se_importan_por_descripcion(
    planillas, proveedor
):
    filas = [
        ["Código", "Descripción", "Precio"],
        ["HERRAMIENTAS", None, None],
        ["A1", "Martillo", "1.500,00"],
        [None, "Sin código", "10"],
        ["A2", "Sin precio", "-"],
        ["Código", "Descripción", "Precio"],
        ["A3", "Pinza", "Mínimo de compra: 6"],
    ]
    (archivo,) = importar(proveedor, planillas["xlsx"]({"L": filas}))
    assert (archivo.filas_validas, archivo.por_descripcion) == (2, 1)
    assert archivo.motivos_descarte == {
        "sin precio": 1,
        "título de rubro o total (sólo texto en la columna de código)": 1,
        "encabezado repetido": 1,
        "precio no numérico": 1,
    }
    assert precios_de(proveedor) == {"A1": Decimal("1500"), "": Decimal("10")}


def test_archivo_ilegible_queda_en_error_y_los_demas_siguen(planillas, proveedor, tmp_path):
    buena = planillas["xlsx"]({"L": lista_con_banner(3)})
    (primero,) = importar(proveedor, buena)
    # Un archivo que se corrompe después de subirlo (p. ej. disco): falla al procesar.
    with buena.open("rb") as contenido:
        subida, propuestas = services.subir_planilla(
            proveedor, File(contenido, name="x.xlsx"), "x.xlsx"
        )
    rota = services.confirmar_importacion(subida, {"L": propuestas[0].mapeo}, encolar=False)[0]
    with subida.archivo.open("wb") as destino:
        destino.write(b"PK\x03\x04 roto")
    otra = planillas["csv"]({"L": [["Codigo", "Descripcion", "Precio"], ["Z9", "Cable", "50"]]})
    with otra.open("rb") as contenido:
        subida2, propuestas2 = services.subir_planilla(
            proveedor, File(contenido, name="c.csv"), "c.csv"
        )
    buena2 = services.confirmar_importacion(subida2, {"CSV": propuestas2[0].mapeo}, encolar=False)[
        0
    ]

    resumenes = services.procesar_pendientes()

    assert [r["estado"] for r in resumenes] == ["error", "procesado"]
    rota.refresh_from_db()
    assert "dañad" in rota.mensaje_error
    buena2.refresh_from_db()
    assert buena2.estado == "procesado"
    assert set(precios_de(proveedor)) == {"00001", "00002", "00003", "Z9"}
    assert primero.estado == "procesado"


def test_un_archivo_reclamado_no_se_reclama_dos_veces(planillas, proveedor):
    ruta = planillas["xlsx"]({"L": lista_con_banner(2)})
    with ruta.open("rb") as contenido:
        subida, propuestas = services.subir_planilla(
            proveedor, File(contenido, name="a.xlsx"), "a.xlsx"
        )
    (archivo,) = services.confirmar_importacion(subida, {"L": propuestas[0].mapeo}, encolar=False)
    reclamado = reclamo.reclamar_siguiente()
    assert reclamado.pk == archivo.pk and reclamado.estado == "procesando"
    assert reclamo.reclamar_siguiente() is None
    # Un worker con un token viejo no puede confirmar nada.
    archivo.token = None
    archivo.estado = "procesando"
    with pytest.raises(reclamo.ReclamoPerdido):
        reclamo.finalizar(archivo, estado="procesado")


def test_la_cantidad_de_consultas_no_crece_con_las_filas(planillas):
    def consultas_para(cantidad: int, nombre: str) -> int:
        proveedor = Proveedor.objects.create(nombre=nombre, abreviatura=f"P{cantidad}")
        ruta = planillas["csv"]({"L": lista_con_banner(cantidad)}, nombre=nombre)
        with ruta.open("rb") as contenido:
            subida, propuestas = services.subir_planilla(
                proveedor, File(contenido, name=nombre), nombre
            )
        services.confirmar_importacion(subida, {"CSV": propuestas[0].mapeo}, encolar=False)
        with CaptureQueriesContext(connection) as consultas:
            services.procesar_pendientes()
        return len(consultas)

    assert consultas_para(10, "diez.csv") == consultas_para(1000, "mil.csv")
    assert PrecioDeLista.objects.filter(proveedor__abreviatura="P1000").count() == 1000


def test_vincula_por_codigo_de_barras_y_deja_el_resto_sin_revisar(planillas, proveedor):
    articulo = Articulo.objects.create(codigo_barras="7791234567897", nombre="Martillo")
    filas = [
        ["Código", "Descripción", "Precio", "EAN"],
        ["M1", "Martillo 500g", "100", 7791234567897],
        ["P1", "Pinza", "50", ""],
    ]
    importar(proveedor, planillas["xlsx"]({"L": filas}))
    vinculo = ArticuloProveedor.objects.get(articulo=articulo)
    assert (vinculo.codigo_proveedor, vinculo.precio) == ("M1", Decimal("100"))
    assert list(ArticuloSinRevisar.objects.values_list("precio_lista__codigo", flat=True)) == ["P1"]

    filas[1][2] = "130"
    importar(proveedor, planillas["xlsx"]({"L": filas}, nombre="nueva.xlsx"))
    vinculo.refresh_from_db()
    assert vinculo.precio == Decimal("130")
    assert ArticuloSinRevisar.objects.count() == 1


def test_la_configuracion_guardada_se_usa_en_la_proxima_lista(planillas, proveedor):
    filas = [["Ref", "Nombre", "Importe final", "Otro"], ["R1", "Cinta métrica", "10", "999"]]
    ruta = planillas["xlsx"]({"L": filas})
    with ruta.open("rb") as contenido:
        subida, propuestas = services.subir_planilla(
            proveedor, File(contenido, name="a.xlsx"), "a.xlsx"
        )
    mapeo = {"fila_encabezado": 1, "columnas": {"codigo": "A", "descripcion": "B", "precio": "D"}}
    services.confirmar_importacion(subida, {"L": mapeo}, encolar=False)

    filas.append(["R2", "Nivel", "20", "555"])
    with planillas["xlsx"]({"Otra hoja": filas}, nombre="b.xlsx").open("rb") as contenido:
        _subida, propuestas = services.subir_planilla(
            proveedor, File(contenido, name="b.xlsx"), "b.xlsx"
        )
    assert propuestas[0].origen == "configuracion"
    assert propuestas[0].mapeo["columnas"]["precio"] == "D"


def test_un_titulo_de_rubro_con_un_numero_suelto_no_es_un_articulo(planillas, proveedor):
    filas = [["Código", "Descripción", "Precio"]]
    filas += [[f"FUS-{i:04d}", f"Cupla fusión {i}", f"{500 + i * 13},17"] for i in range(12)]
    filas += [["BAZAR", None, "0.1"], ["AB", "Abrazadera", "0,50"], ["TACHAS", None, "1059"]]
    (archivo,) = importar(proveedor, planillas["xlsx"]({"L": filas}))
    assert archivo.motivos_descarte == {
        "título de rubro (una palabra en mayúsculas con un precio muy por debajo del resto "
        "de la hoja)": 1
    }
    # Un artículo barato con descripción, y una palabra con un precio normal, sí se importan.
    assert {"AB", "TACHAS"} <= set(precios_de(proveedor)) and "BAZAR" not in precios_de(proveedor)
