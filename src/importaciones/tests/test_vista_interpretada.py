"""La página de columnas muestra las primeras filas como se van a importar, y se actualiza."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from importaciones.models import ConfigImportacion, Subida

pytestmark = pytest.mark.django_db


def lista_para_revisar(cantidad: int = 25) -> list[list[object]]:
    """Banner, encabezado en la fila 4 y las filas que hay que mirar antes de confirmar."""
    filas: list[list[object]] = [
        ["FERRETERA DEL SUR S.R.L. - LISTA DE PRECIOS AGOSTO 2024"],
        ["Precios sin IVA"],
        [],
        ["Código", "Descripción", "P. Lista", "IVA", "Bulto", "P. Público"],
        ["A-100", "Martillo galponero", 1045, "21%", "x6", 1500],  # 5
        ["A-101", "Destornillador importado", "U$S 12,50", "10,5", "", 20],  # 6
        ["", "Pinza universal", "3.200,00", "21", "", 4000],  # 7: sin código
        ["A-100", "Martillo galponero (otra partida)", 1100, "21", "", 1600],  # 8: repetido
        ["HERRAMIENTAS MANUALES"],  # 9: título de rubro
        ["A-102", "Serrucho de costilla", "-", "21", "", 900],  # 10: sin precio
    ]
    filas += [
        [f"B-{i:03d}", f"Tornillo {i} mm", f"{100 + i},25", "21", "", 200 + i]
        for i in range(cantidad)
    ]
    return filas


def subir(cliente, ruta, proveedor) -> str:
    archivo = SimpleUploadedFile(ruta.name, ruta.read_bytes())
    respuesta = cliente.post("/importaciones/", {"archivo": archivo, "proveedor": proveedor.pk})
    assert respuesta.status_code == 302, respuesta.content.decode()
    return respuesta.url


def interpretadas(cliente, url: str, indice: int = 0, **valores):
    """GET del parcial con los campos de MapeoHojaForm de la hoja `indice`."""
    datos = {
        "fila_encabezado": "4",
        "codigo": "A",
        "descripcion": "B",
        "precio": "C",
        "iva": "D",
        "bulto": "E",
        **valores,
    }
    parametros = {f"hoja{indice}-{campo}": valor for campo, valor in datos.items()}
    return cliente.get(f"{url}hojas/{indice}/interpretadas/", parametros)


def test_la_pagina_de_columnas_muestra_las_filas_como_se_van_a_importar(
    cliente_staff, planillas, proveedor
):
    url = subir(cliente_staff, planillas["xlsx"]({"Lista": lista_para_revisar()}), proveedor)
    pagina = cliente_staff.get(url)
    contenido = pagina.content.decode()
    hoja = pagina.context["hojas"][0]
    assert hoja["form"]["precio"].value() == "C"
    assert "Así se va a importar (primeras 20 filas)" in contenido

    filas = {fila["numero"]: fila for fila in hoja["interpretadas"]["filas"]}
    assert list(filas) == list(range(5, 25))  # las primeras 20 debajo del encabezado
    assert "$ 1.045,00" in contenido and "21 %" in contenido
    assert (filas[6]["simbolo"], filas[6]["iva"]) == ("U$S", "10,5 %")
    assert "U$S 12,50" in contenido
    assert filas[7]["codigo"] == "" and '<span class="sin-codigo">sin código</span>' in contenido
    assert filas[7]["observaciones"] == ["sin código: se identificó por descripción"]
    assert filas[8]["observaciones"] == ["código repetido: queda la fila 5"]
    assert "código repetido: queda la fila 5" in contenido
    assert filas[9]["descartada"] and "título" in filas[9]["observaciones"][0]
    assert filas[10]["descartada"] and filas[10]["precio"] == "-"
    assert filas[10]["observaciones"] == ["No se importa: sin precio"]
    assert contenido.count('<tr class="descartada">') == 2
    assert "No se importa: sin precio" in contenido
    # La planilla tiene 35 filas: la tabla de celdas sigue mostrando 30.
    assert [numero for numero, _fila in hoja["crudas"]] == list(range(1, 31))
    assert 'data-interpretadas="/importaciones/subidas/' in contenido


def test_con_otra_columna_de_precio_se_reinterpretan_las_filas(cliente_staff, planillas, proveedor):
    url = subir(cliente_staff, planillas["xlsx"]({"Lista": lista_para_revisar()}), proveedor)
    respuesta = interpretadas(cliente_staff, url, precio="F")
    contenido = respuesta.content.decode()
    assert respuesta.status_code == 200
    assert respuesta.templates[0].name == "importaciones/_interpretadas.html"
    assert "<html" not in contenido  # sólo el parcial, para reemplazar la tabla
    assert "$ 1.500,00" in contenido and "$ 1.045,00" not in contenido
    assert "$ 20,00" in contenido and "U$S" not in contenido
    # El serrucho ahora tiene precio: la única descartada es el título de rubro.
    assert contenido.count('<tr class="descartada">') == 1
    assert "sin precio" not in contenido


def test_sin_columna_de_codigo_cada_fila_se_identifica_por_descripcion(
    cliente_staff, planillas, proveedor
):
    url = subir(cliente_staff, planillas["xlsx"]({"Lista": lista_para_revisar()}), proveedor)
    contenido = interpretadas(cliente_staff, url, sin_codigo="on").content.decode()
    assert "A-100" not in contenido
    assert contenido.count('<span class="sin-codigo">sin código</span>') >= 17
    assert "código repetido" not in contenido  # las dos descripciones del martillo difieren


def test_el_encabezado_mas_abajo_de_la_vista_previa_avisa_sin_mostrar_filas(
    cliente_staff, planillas, proveedor
):
    url = subir(cliente_staff, planillas["xlsx"]({"Lista": lista_para_revisar(80)}), proveedor)
    respuesta = interpretadas(cliente_staff, url, fila_encabezado="75")
    contenido = respuesta.content.decode()
    assert respuesta.status_code == 200
    assert "La fila de encabezado está más abajo de las primeras 60 filas leídas" in contenido
    assert "<table" not in contenido

    corta = subir(
        cliente_staff, planillas["xlsx"]({"Corta": lista_para_revisar(5)}, "corta.xlsx"), proveedor
    )
    contenido = interpretadas(cliente_staff, corta, fila_encabezado="40").content.decode()
    assert "La hoja termina en la fila 15: no llega a la fila de encabezado 40." in contenido


def test_un_encabezado_cerca_de_la_fila_40_muestra_20_filas_y_la_tabla_de_celdas_lo_sigue(
    cliente_staff, planillas, proveedor
):
    relleno = [[f"Nota {i}: precios sujetos a cambio sin previo aviso"] for i in range(30)]
    filas = lista_para_revisar(40)
    planilla = planillas["xlsx"]({"Lista": filas[:3] + relleno + filas[3:]})
    pagina = cliente_staff.get(subir(cliente_staff, planilla, proveedor))
    hoja = pagina.context["hojas"][0]
    assert hoja["form"]["fila_encabezado"].value() == 34
    assert [fila["numero"] for fila in hoja["interpretadas"]["filas"]] == list(range(35, 55))
    assert [numero for numero, _fila in hoja["crudas"]] == list(range(29, 59))
    assert '<tr class="encabezado">\n            <th>34</th>' in pagina.content.decode()


def test_fila_o_columna_invalida_devuelve_el_motivo_y_no_un_error(
    cliente_staff, planillas, proveedor
):
    url = subir(cliente_staff, planillas["xlsx"]({"Lista": lista_para_revisar()}), proveedor)
    respuesta = interpretadas(cliente_staff, url, precio="ZZ")
    assert respuesta.status_code == 400
    contenido = respuesta.content.decode()
    assert "Precio de lista:" in contenido and "ZZ" in contenido
    assert '<p class="aviso error">' in contenido and "<table" not in contenido
    for fila in ("0", "-3", "cuatro", ""):
        respuesta = interpretadas(cliente_staff, url, fila_encabezado=fila)
        assert respuesta.status_code == 400, fila
        assert "Fila de encabezado:" in respuesta.content.decode()
    inyectada = interpretadas(cliente_staff, url, precio="<b>C</b>").content.decode()
    assert "<b>C</b>" not in inyectada
    assert cliente_staff.get(f"{url}hojas/7/interpretadas/").status_code == 404


def test_con_importar_marcado_igual_se_ve_una_lista_a_medio_elegir(
    cliente_staff, planillas, proveedor
):
    url = subir(cliente_staff, planillas["xlsx"]({"Lista": lista_para_revisar()}), proveedor)
    respuesta = interpretadas(cliente_staff, url, importar="on", codigo="", precio="")
    contenido = respuesta.content.decode()
    assert respuesta.status_code == 200
    assert "Elegí la columna" not in contenido
    assert "No se importa: sin precio" in contenido


def test_si_la_confirmacion_falla_la_tabla_sigue_las_columnas_enviadas(
    cliente_staff, planillas, proveedor
):
    url = subir(cliente_staff, planillas["xlsx"]({"Lista": lista_para_revisar()}), proveedor)
    respuesta = cliente_staff.post(
        url,
        {
            "hoja0-importar": "on",
            "hoja0-fila_encabezado": "4",
            "hoja0-descripcion": "B",
            "hoja0-precio": "F",
        },
    )
    assert respuesta.status_code == 200
    contenido = respuesta.content.decode()
    assert "Elegí la columna, o marcá «sin columna de código»." in contenido
    assert "$ 1.500,00" in contenido and "$ 1.045,00" not in contenido


def test_la_convencion_decimal_guardada_del_proveedor_decide_los_precios_ambiguos(
    cliente_staff, planillas, proveedor
):
    filas = [["Código", "Descripción", "Precio"]] + [
        [f"{i:04d}", f"Arandela {i}", "1.500"] for i in range(1, 6)
    ]
    url = subir(cliente_staff, planillas["xlsx"]({"Lista": filas}), proveedor)
    parametros = {"fila_encabezado": "1", "iva": "", "bulto": ""}
    assert "$ 1.500,00" in interpretadas(cliente_staff, url, **parametros).content.decode()

    ConfigImportacion.objects.create(
        proveedor=proveedor,
        nombre_config="Lista",
        col_codigo="A",
        col_descripcion="B",
        col_precio="C",
        separador_decimal=".",
    )
    assert "$ 1,50" in interpretadas(cliente_staff, url, **parametros).content.decode()
    assert "$ 1,50" in cliente_staff.get(url).content.decode()


def test_sin_ser_personal_no_se_ve_la_vista_interpretada(
    client, django_user_model, planillas, proveedor, staff
):
    client.force_login(staff)
    url = subir(client, planillas["xlsx"]({"Lista": lista_para_revisar()}), proveedor)
    subida = Subida.objects.get()
    parcial = f"/importaciones/subidas/{subida.pk}/hojas/0/interpretadas/"
    assert url == f"/importaciones/subidas/{subida.pk}/"
    client.logout()
    respuesta = client.get(parcial)
    assert respuesta.status_code == 302 and respuesta.url.startswith("/cuentas/login/")
    client.force_login(django_user_model.objects.create_user("mostrador", password="x-123-y"))
    assert client.get(parcial).status_code == 403
    assert client.post(parcial).status_code == 403


def test_un_registro_csv_partido_por_una_coma_se_ve_reparado_o_descartado(
    cliente_staff, proveedor, tmp_path
):
    lineas = ["Codigo,Descripcion,Precio,IVA"]
    precios = (15, 120, 480, 950, 1500, 2200, 3000, 45)
    lineas += [f'A{i},Clavo {i} mm,"{precio},50",21' for i, precio in enumerate(precios, 1)]
    lineas += ["A9,Clavo de techo,1234,56,21", "A10,Clavo,1,234,56,21"]
    ruta = tmp_path / "lista.csv"
    ruta.write_bytes("\r\n".join(lineas).encode() + b"\r\n")
    url = subir(cliente_staff, ruta, proveedor)
    filas = {
        fila["numero"]: fila
        for fila in cliente_staff.get(url).context["hojas"][0]["interpretadas"]["filas"]
    }
    assert filas[10]["precio"] == Decimal("1234.56")
    assert filas[10]["observaciones"] == [
        "registro reparado: se unieron «1234» y «56» en la columna C (coma decimal sin comillas)"
    ]
    assert filas[11]["descartada"]
    assert "2 campos de más" in filas[11]["observaciones"][0]


def test_cada_hoja_se_interpreta_con_sus_propias_filas(cliente_staff, planillas, proveedor):
    otra = [["Art.", "Detalle", "Importe"], ["Z-1", "Cable unipolar 2,5 mm", "U$S 3,10"]]
    planilla = planillas["xlsx"]({"Lista": lista_para_revisar(), "Cables": otra})
    url = subir(cliente_staff, planilla, proveedor)
    contenido = interpretadas(
        cliente_staff, url, indice=1, fila_encabezado="1", iva="", bulto=""
    ).content.decode()
    assert "Cable unipolar 2,5 mm" in contenido and "U$S 3,10" in contenido
    assert "Martillo" not in contenido
