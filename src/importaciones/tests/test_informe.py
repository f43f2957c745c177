"""Lo que ve la persona después de importar: cambios, historial, saltos de escala y descartes."""

import io
import re
from decimal import Decimal

import pytest
import python_calamine
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from importaciones import services
from importaciones.models import (
    ArchivoPendiente,
    CambioRetenido,
    ConfigImportacion,
    FilaObservada,
    Subida,
)
from importaciones.tests.test_procesamiento import importar, precios_de
from precios.models import HistorialPrecio, PrecioDeLista

pytestmark = pytest.mark.django_db


def lista(precios: dict[str, str]) -> list[list]:
    return [["Código", "Descripción", "Precio"]] + [
        [codigo, f"Artículo {codigo}", precio] for codigo, precio in precios.items()
    ]


BASE = {f"A{i}": f"{100 + i},50" for i in range(10)}


def test_cada_cambio_de_precio_queda_en_el_historial(planillas, proveedor):
    importar(proveedor, planillas["csv"]({"L": lista(BASE)}, nombre="julio.csv"))
    assert not HistorialPrecio.objects.exists()  # el alta no es un cambio

    nuevos = {**BASE, "A1": "120,00", "A2": "90,00"}
    (segundo,) = importar(proveedor, planillas["csv"]({"L": lista(nuevos)}, nombre="agosto.csv"))
    cambios = {
        c.precio_lista.codigo: (c.precio_anterior, c.precio_nuevo, c.archivo_id)
        for c in HistorialPrecio.objects.select_related("precio_lista")
    }
    assert cambios == {
        "A1": (Decimal("101.5"), Decimal("120"), segundo.pk),
        "A2": (Decimal("102.5"), Decimal("90"), segundo.pk),
    }
    assert (segundo.actualizados, segundo.sin_cambios, segundo.creados) == (2, 8, 0)


def test_reimportar_el_mismo_archivo_no_cambia_nada_y_lo_dice(planillas, proveedor, cliente_staff):
    ruta = planillas["csv"]({"L": lista(BASE)})
    importar(proveedor, ruta)
    (otra_vez,) = importar(proveedor, ruta)
    assert (otra_vez.creados, otra_vez.actualizados, otra_vez.sin_cambios) == (0, 0, 10)
    assert not HistorialPrecio.objects.exists()
    pagina = cliente_staff.get(reverse("importaciones:archivo", args=[otra_vez.pk]))
    assert "no cambió ningún precio" in pagina.content.decode()


def test_un_salto_de_escala_no_se_aplica_sin_confirmar(planillas, proveedor, cliente_staff):
    importar(proveedor, planillas["csv"]({"L": lista(BASE)}))
    # La coma decimal se perdió: 100,50 llega como 10050.
    por_cien = {codigo: precio.replace(",", "") for codigo, precio in BASE.items()}
    (archivo,) = importar(proveedor, planillas["csv"]({"L": lista(por_cien)}, nombre="mal.csv"))
    assert archivo.estado == "revisar"
    assert "×100" in archivo.mensaje_error
    assert precios_de(proveedor)["A0"] == Decimal("100.5")  # nada se tocó
    assert not HistorialPrecio.objects.exists()

    pagina = cliente_staff.get(reverse("importaciones:archivo", args=[archivo.pk]))
    assert "Aplicar igual" in pagina.content.decode()
    url = reverse("importaciones:aplicar_igual", args=[archivo.pk])
    cliente_staff.post(url)
    cliente_staff.post(url)  # doble clic: una sola vez
    services.procesar_pendientes()
    archivo.refresh_from_db()
    assert archivo.estado == "procesado" and archivo.escala_confirmada
    assert precios_de(proveedor)["A0"] == Decimal("10050")
    assert HistorialPrecio.objects.count() == 10


def test_informe_retiene_los_sospechosos_y_muestra_lo_que_ya_no_esta(
    planillas, proveedor, cliente_staff
):
    importar(proveedor, planillas["csv"]({"L": lista(BASE)}))
    nuevos = {**BASE, "A1": "200,00", "Z9": "5,00"}
    del nuevos["A8"], nuevos["A9"]
    (archivo,) = importar(proveedor, planillas["csv"]({"L": lista(nuevos)}, nombre="b.csv"))
    assert (archivo.sospechosos, archivo.faltantes, archivo.creados) == (1, 2, 1)
    assert archivo.faltantes_muestra == ["A8", "A9"]
    assert PrecioDeLista.objects.filter(codigo="A8").exists()  # no se borra
    assert precios_de(proveedor)["A1"] == Decimal("101.5")  # retenido: sigue el anterior

    contenido = cliente_staff.get(
        reverse("importaciones:archivo", args=[archivo.pk])
    ).content.decode()
    assert "Cambios retenidos: no se aplicaron (1)" in contenido and "97,0 %" in contenido
    assert ">A8<" in contenido and ">A9<" in contenido
    assert "Artículo Z9" in contenido  # nuevo


def test_las_filas_descartadas_se_descargan_con_su_numero_y_valores(
    planillas, proveedor, cliente_staff
):
    filas = [
        ["Código", "Descripción", "Precio"],
        ["A1", "Martillo", "1.500,00"],
        ["A2", "Sin precio", "-"],
        ["=HIPERVINCULO()", "Fórmula", "abc"],
    ]
    (archivo,) = importar(proveedor, planillas["xlsx"]({"L": filas}))
    respuesta = cliente_staff.get(reverse("importaciones:descartes", args=[archivo.pk]))
    assert respuesta.status_code == 200
    libro = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(b"".join(respuesta)))
    descartadas = libro.get_sheet_by_index(0).to_python()
    assert descartadas[0] == ["Fila", "Motivo", "Código", "Descripción", "Precio"]
    assert descartadas[1] == [3.0, "sin precio", "A2", "Sin precio", "-"]
    assert descartadas[2][2] == "'=HIPERVINCULO()"  # nunca se ejecuta como fórmula


def test_la_convencion_decimal_del_proveedor_decide_los_ambiguos(planillas, proveedor):
    importar(proveedor, planillas["csv"]({"L": lista({"A1": "10,50", "A2": "1.250,75"})}))
    assert ConfigImportacion.objects.get().separador_decimal == ","
    # Sólo valores ambiguos: vale la convención guardada (coma decimal).
    (archivo,) = importar(
        proveedor, planillas["csv"]({"L": lista({"A3": "5,125"})}, nombre="b.csv")
    )
    assert archivo.estado == "procesado"
    assert precios_de(proveedor)["A3"] == Decimal("5.125")


def test_la_ficha_del_articulo_muestra_su_historial(
    planillas, proveedor, client, django_user_model
):
    importar(proveedor, planillas["csv"]({"L": lista(BASE)}))
    importar(proveedor, planillas["csv"]({"L": lista({**BASE, "A1": "130,00"})}, nombre="b.csv"))
    client.force_login(django_user_model.objects.create_user("mostrador", password="x-1-y"))
    precio = PrecioDeLista.objects.get(codigo="A1")
    contenido = client.get(reverse("precios:detalle", args=[precio.pk])).content.decode()
    assert "$ 101,50" in contenido and "$ 130,00" in contenido and "28,1 %" in contenido
    assert "<polyline" in contenido


def test_un_articulo_que_se_muda_de_hoja_sin_cambios_falta_en_la_hoja_nueva(planillas, proveedor):
    filas = [["Código", "Descripción", "Precio"], ["X1", "Martillo", "100"], ["Y1", "Pinza", "50"]]
    importar(proveedor, planillas["xlsx"]({"Herramientas": filas}))
    mudado = [filas[0], filas[1], ["Z1", "Nivel", "70"]]
    (archivo,) = importar(proveedor, planillas["xlsx"]({"Ferreteria": mudado}, nombre="b.xlsx"))
    assert (archivo.creados, archivo.actualizados, archivo.sin_cambios) == (1, 0, 1)

    (archivo,) = importar(
        proveedor, planillas["xlsx"]({"Ferreteria": [filas[0], mudado[2]]}, nombre="c.xlsx")
    )
    assert (archivo.faltantes, archivo.faltantes_muestra) == (1, ["X1"])


# --- Las listas del informe, armadas con el ORM ------------------------------------


def archivo_importado(proveedor, **campos) -> ArchivoPendiente:
    subida = Subida.objects.create(
        proveedor=proveedor,
        archivo="subidas/lista.csv",
        nombre_original="lista.csv",
        formato="csv",
        tamano=1,
    )
    return ArchivoPendiente.objects.create(
        proveedor=proveedor,
        subida=subida,
        hoja_origen="L",
        mapeo={},
        nombre_archivo_origen="lista.csv",
        estado="procesado",
        **campos,
    )


def cambio(
    archivo, codigo: str, antes: str, ahora: str, moneda: str = "ARS", retenido: bool = False
) -> None:
    """Un cambio aplicado (historial) o retenido (el precio sigue siendo el anterior)."""
    precio = PrecioDeLista.objects.create(
        proveedor=archivo.proveedor,
        codigo=codigo,
        codigo_clave=codigo,
        descripcion=f"Artículo {codigo}",
        precio=Decimal(antes if retenido else ahora),
        moneda=moneda,
    )
    modelo = CambioRetenido if retenido else HistorialPrecio
    extra = {} if retenido else {"fecha": timezone.now()}
    modelo.objects.create(
        precio_lista=precio,
        archivo=archivo,
        precio_anterior=Decimal(antes),
        precio_nuevo=Decimal(ahora),
        **extra,
    )


def repetidas(archivo, cantidad: int, **campos) -> None:
    FilaObservada.objects.bulk_create(
        FilaObservada(
            archivo=archivo,
            tipo=FilaObservada.Tipo.REPETIDA,
            fila=i + 2,
            codigo=f"R{i:03d}",
            descripcion=f"Tornillo {i}",
            precio=Decimal("10.50"),
            detalle="queda la fila 1",
            **campos,
        )
        for i in range(cantidad)
    )


def planilla(respuesta) -> python_calamine.CalamineWorkbook:
    assert respuesta.status_code == 200
    return python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(b"".join(respuesta)))


def fila_de(contenido: str, codigo: str) -> str:
    """El <tr> de la tabla en el que aparece el código."""
    (fila,) = re.findall(rf"<tr>(?:(?!</tr>).)*>{codigo}<(?:(?!</tr>).)*</tr>", contenido, re.S)
    return fila


def test_cada_cambio_sospechoso_dice_su_factor_de_escala(proveedor, cliente_staff):
    archivo = archivo_importado(proveedor, actualizados=1, sospechosos=4)
    cambio(archivo, "X10", "100", "1000", retenido=True)
    cambio(archivo, "D100", "250", "2.50", retenido=True)
    cambio(archivo, "U10", "12", "96", moneda="USD", retenido=True)  # ×8: margen de ×10
    cambio(archivo, "RARO", "100", "1300", retenido=True)  # ×13: no es un salto de escala
    cambio(archivo, "SUBA", "100", "130")

    contenido = cliente_staff.get(f"/importaciones/archivos/{archivo.pk}/").content.decode()
    assert "<h2>Cambios retenidos: no se aplicaron (4)</h2>" in contenido
    assert "más de ±30 % (el umbral de TOR)" in contenido
    # Las coordenadas del histograma van con punto: "100,0" no es un número para el SVG.
    alturas = re.findall(
        r'<rect class="barra" x="10" y="([^"]*)" width="80" height="([^"]*)"', contenido
    )
    assert len(alturas) == 9 and all(re.fullmatch(r"\d+\.\d", v) for par in alturas for v in par)
    sospechosos = contenido.split("Precios que cambiaron")[0]
    assert '<span class="salto">×10</span>' in fila_de(sospechosos, "X10")
    assert '<span class="salto">÷100</span>' in fila_de(sospechosos, "D100")
    assert "U$S 96,00" in fila_de(sospechosos, "U10") and "×10" in fila_de(sospechosos, "U10")
    assert "salto" not in fila_de(sospechosos, "RARO")
    assert "SUBA" not in sospechosos
    assert "salto" not in fila_de(contenido, "SUBA") and "30,0 %" in fila_de(contenido, "SUBA")
    assert 'name="retenido"' in fila_de(sospechosos, "X10")


def test_las_repetidas_se_ven_de_a_cien_y_se_descargan_todas(
    proveedor, cliente_staff, django_assert_max_num_queries
):
    archivo = archivo_importado(proveedor, codigos_repetidos=250, filas_validas=10)
    repetidas(archivo, 250)
    url = f"/importaciones/archivos/{archivo.pk}/"

    with django_assert_max_num_queries(6):
        respuesta = cliente_staff.get(url)
    contenido = respuesta.content.decode()
    assert "Códigos repetidos: quedó la primera fila de cada uno (250)" in contenido
    assert len(respuesta.context["tablas"]["repetidas"].filas) == 100
    assert ">R099<" in contenido and "R100" not in contenido
    assert f'<a href="{url}lista/repetidas/">ver las 250</a>' in contenido
    assert f'href="{url}lista/repetidas.xlsx">Descargar XLSX' in contenido
    assert "<strong>250</strong> repetidas" in contenido

    with django_assert_max_num_queries(5):
        pagina = cliente_staff.get(f"{url}lista/repetidas/?pagina=3")
    contenido = pagina.content.decode()
    assert "Página 3 de 3" in contenido
    assert [fila[0].valor for fila in pagina.context["tabla"].filas] == list(range(202, 252))
    assert "R199" not in contenido and "R200" in contenido and "R249" in contenido

    with django_assert_max_num_queries(4):
        libro = planilla(cliente_staff.get(f"{url}lista/repetidas.xlsx"))
    filas = libro.get_sheet_by_name("Códigos repetidos").to_python()
    assert filas[0] == ["Fila", "Código", "Descripción", "Precio", "Moneda", "Detalle"]
    assert len(filas) == 251
    assert filas[1] == [2.0, "R000", "Tornillo 0", 10.5, "ARS", "queda la fila 1"]


def test_el_informe_no_hace_una_consulta_por_fila(
    proveedor, cliente_staff, django_assert_max_num_queries
):
    ahora = timezone.now()
    archivo = archivo_importado(
        proveedor, aplicado_en=ahora, actualizados=150, sospechosos=150, creados=150
    )
    archivo.faltantes = archivo.por_descripcion = 150
    archivo.save()
    precios = PrecioDeLista.objects.bulk_create(
        PrecioDeLista(
            proveedor=proveedor, codigo=f"P{i}", codigo_clave=f"P{i}", precio=10, moneda="USD"
        )
        for i in range(150)
    )
    PrecioDeLista.objects.update(creado_en=ahora)
    HistorialPrecio.objects.bulk_create(
        HistorialPrecio(
            precio_lista=precio, archivo=archivo, fecha=ahora, precio_anterior=1, precio_nuevo=10
        )
        for precio in precios
    )
    CambioRetenido.objects.bulk_create(
        CambioRetenido(precio_lista=precio, archivo=archivo, precio_anterior=10, precio_nuevo=100)
        for precio in precios
    )
    FilaObservada.objects.bulk_create(
        FilaObservada(archivo=archivo, tipo=tipo, fila=i, precio_lista_id=precio.pk)
        for i, precio in enumerate(precios)
        for tipo in (FilaObservada.Tipo.FALTANTE, FilaObservada.Tipo.SIN_CODIGO)
    )

    # Sesión, usuario, archivo, histograma y, por lista, cuántas son y las primeras 100.
    with django_assert_max_num_queries(15):
        respuesta = cliente_staff.get(f"/importaciones/archivos/{archivo.pk}/")
    tablas = respuesta.context["tablas"]
    for nombre in ("retenidos", "cambios", "nuevos", "faltantes", "sin_codigo"):
        assert (tablas[nombre].cantidad, len(tablas[nombre].filas)) == (150, 100), nombre
    assert respuesta.content.decode().count("ver las 150") == 5
    assert "U$S 10,00" in respuesta.content.decode()


def test_una_repetida_de_otro_articulo_se_destaca(proveedor, cliente_staff):
    archivo = archivo_importado(proveedor, codigos_repetidos=2)
    repetidas(archivo, 1)
    FilaObservada.objects.create(
        archivo=archivo,
        tipo=FilaObservada.Tipo.REPETIDA,
        fila=12345,
        codigo="A1",
        descripcion="Pinza",
        precio=Decimal("5"),
        moneda="USD",
        detalle="mismo código, otro artículo: queda la fila 18 («Martillo»)",
    )
    contenido = cliente_staff.get(f"/importaciones/archivos/{archivo.pk}/").content.decode()
    assert (
        '<td class="otro-articulo">mismo código, otro artículo: queda la fila 18 '
        "(«Martillo»)</td>" in contenido
    )
    assert "1 tiene el mismo código pero otro artículo" in contenido
    assert "U$S 5,00" in fila_de(contenido, "A1")
    assert '<td class="num">12345</td>' in fila_de(contenido, "A1")  # como en la planilla
    assert "quedó la última fila" not in contenido


def test_la_descarga_de_descartadas_trae_las_repetidas_en_otra_hoja(proveedor, cliente_staff):
    ruta = default_storage.save(
        "descartes/prueba.csv",
        ContentFile(
            "fila,motivo,Código,Descripción,Precio\r\n3,sin precio,A2,Sin precio,-\r\n".encode()
        ),
    )
    archivo = archivo_importado(
        proveedor, ruta_descartes=ruta, filas_descartadas=1, codigos_repetidos=2
    )
    repetidas(archivo, 1)
    FilaObservada.objects.create(
        archivo=archivo,
        tipo=FilaObservada.Tipo.REPETIDA,
        fila=9,
        codigo="=1+1",
        descripcion="=HIPERVINCULO()",
        moneda="EUR",
        detalle="queda la fila 4",
    )

    libro = planilla(cliente_staff.get(f"/importaciones/archivos/{archivo.pk}/descartadas.xlsx"))
    assert libro.sheet_names == ["Filas descartadas", "Códigos repetidos"]
    assert libro.get_sheet_by_index(0).to_python() == [
        ["Fila", "Motivo", "Código", "Descripción", "Precio"],
        [3.0, "sin precio", "A2", "Sin precio", "-"],
    ]
    assert libro.get_sheet_by_index(1).to_python() == [
        ["Fila", "Código", "Descripción", "Precio", "Moneda", "Detalle"],
        [2.0, "R000", "Tornillo 0", 10.5, "ARS", "queda la fila 1"],
        [9.0, "'=1+1", "'=HIPERVINCULO()", "", "EUR", "queda la fila 4"],
    ]


def test_las_descartadas_se_ven_de_a_cien_leyendo_el_csv(proveedor, cliente_staff):
    registros = "".join(f"{fila},sin precio,B{fila},Artículo,-\r\n" for fila in range(5, 155))
    ruta = default_storage.save(
        "descartes/muchas.csv", ContentFile(f"fila,motivo,Cód.,Desc.,P.\r\n{registros}".encode())
    )
    archivo = archivo_importado(proveedor, ruta_descartes=ruta, filas_descartadas=150)
    url = f"/importaciones/archivos/{archivo.pk}/"

    contenido = cliente_staff.get(url).content.decode()
    assert "ver las 150" in contenido and ">B104<" in contenido and "B105" not in contenido

    pagina = cliente_staff.get(f"{url}lista/descartadas/?pagina=2")
    tabla = pagina.context["tabla"]
    assert [columna.titulo for columna in tabla.columnas] == [
        "Fila",
        "Motivo",
        "Cód.",
        "Desc.",
        "P.",
    ]
    assert [fila[0].valor for fila in tabla.filas] == list(range(105, 155))

    filas = planilla(cliente_staff.get(f"{url}lista/descartadas.xlsx")).get_sheet_by_index(0)
    assert len(filas.to_python()) == 151


def test_sin_codigo_faltantes_y_nuevos_muestran_lo_que_hay(proveedor, cliente_staff):
    ahora = timezone.now()
    archivo = archivo_importado(
        proveedor, aplicado_en=ahora, creados=1, por_descripcion=1, faltantes=1, filas_reparadas=1
    )
    nuevo = PrecioDeLista.objects.create(
        proveedor=proveedor, codigo="", codigo_clave="desc:abc", descripcion="Clavo", precio=3
    )
    PrecioDeLista.objects.filter(pk=nuevo.pk).update(creado_en=ahora)
    comunes = {"archivo": archivo, "precio": Decimal("3"), "precio_lista_id": nuevo.pk}
    FilaObservada.objects.create(
        tipo=FilaObservada.Tipo.SIN_CODIGO, fila=7, descripcion="Clavo", **comunes
    )
    FilaObservada.objects.create(
        tipo=FilaObservada.Tipo.REPARADA,
        fila=8,
        codigo="Z1",
        descripcion="Tuerca 1/2",
        detalle="se unieron «Tuerca 1» y «2»",
        **{**comunes, "precio_lista_id": None},
    )
    FilaObservada.objects.create(
        tipo=FilaObservada.Tipo.FALTANTE, codigo="VIEJO", descripcion="Serrucho", **comunes
    )

    contenido = cliente_staff.get(f"/importaciones/archivos/{archivo.pk}/").content.decode()
    assert "<strong>1</strong> por descripción" in contenido
    assert "<strong>1</strong> reparadas" in contenido and "repetidas</div>" not in contenido
    assert "Sin código: se identificó por descripción (1)" in contenido
    assert f'<a href="/precios/{nuevo.pk}/"><span class="sin-codigo">sin código</span></a>' in (
        contenido
    )
    assert "se unieron «Tuerca 1» y «2»" in contenido
    assert "Serrucho" in fila_de(contenido, "VIEJO") and "$ 3,00" in fila_de(contenido, "VIEJO")


def test_un_archivo_viejo_muestra_la_muestra_de_faltantes(proveedor, cliente_staff):
    archivo = archivo_importado(proveedor, faltantes=300, faltantes_muestra=["A8", "A9"])
    contenido = cliente_staff.get(f"/importaciones/archivos/{archivo.pk}/").content.decode()
    assert "Ya no están en esta lista (300)" in contenido
    assert ">A8<" in contenido and ">A9<" in contenido
    assert "sólo se guardó una muestra de 2 códigos" in contenido


def test_una_lista_que_no_existe_da_404(proveedor, cliente_staff):
    archivo = archivo_importado(proveedor)
    for url in ("lista/inventada/", "lista/inventada.xlsx", "lista/repetidas/../"):
        assert cliente_staff.get(f"/importaciones/archivos/{archivo.pk}/{url}").status_code == 404
    assert cliente_staff.get("/importaciones/archivos/999/lista/cambios/").status_code == 404


def test_las_listas_son_solo_para_el_personal(proveedor, client, django_user_model):
    archivo = archivo_importado(proveedor)
    urls = [
        f"/importaciones/archivos/{archivo.pk}/lista/cambios/",
        f"/importaciones/archivos/{archivo.pk}/lista/cambios.xlsx",
    ]
    for url in urls:
        respuesta = client.get(url)
        assert respuesta.status_code == 302 and respuesta.url.startswith("/cuentas/login/")
    client.force_login(django_user_model.objects.create_user("mostrador", password="x-123-y"))
    for url in urls:
        assert client.get(url).status_code == 403
