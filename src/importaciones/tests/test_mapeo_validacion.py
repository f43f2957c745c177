"""La página de columnas: fila de encabezado validada contra la hoja, encabezados partidos
en las opciones, y lo que no es una planilla rechazado al subir."""

import io
import re
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from conftest import corpus, escribir_csv, lista_con_banner
from importaciones.lectores import (
    ErrorPlanilla,
    detectar_formato,
    iterar_filas,
    leer_vista_previa,
)
from importaciones.lectores.csv import contar_lineas, detectar_csv
from importaciones.models import ArchivoPendiente, Subida
from importaciones.tests.test_planillas import _ods_como_pandas

pytestmark = pytest.mark.django_db

COLUMNAS = {"hoja0-codigo": "A", "hoja0-descripcion": "B", "hoja0-precio": "D"}


def subir(cliente, ruta: Path, proveedor, nombre: str | None = None):
    archivo = SimpleUploadedFile(nombre or ruta.name, ruta.read_bytes())
    return cliente.post("/importaciones/", {"archivo": archivo, "proveedor": proveedor.pk})


def archivos_guardados() -> list[Path]:
    return [ruta for ruta in Path(default_storage.location).rglob("*") if ruta.is_file()]


# --- Fila de encabezado -----------------------------------------------------------------


RANGO = "La hoja «Lista» tiene 10 filas: la fila de encabezado tiene que estar entre 1 y 10."


@pytest.mark.parametrize(
    ("valor", "mensaje"),
    [
        ("0", RANGO),
        ("", "Poné el número de la fila del encabezado."),
        ("abc", "Poné el número de la fila del encabezado (un número entero, p. ej. 4)."),
        ("99999", RANGO),
    ],
)
@pytest.mark.parametrize("formato", ["xlsx", "xls", "ods", "csv"])
def test_una_fila_de_encabezado_imposible_muestra_el_motivo_junto_al_campo(
    cliente_staff, planillas, proveedor, formato, valor, mensaje
):
    ruta = planillas[formato]({"Lista": lista_con_banner(6)})  # 4 + 6 = 10 filas
    url = subir(cliente_staff, ruta, proveedor).url
    if formato == "csv":
        mensaje = mensaje.replace("«Lista»", "«CSV»")

    respuesta = cliente_staff.post(
        url, {"hoja0-importar": "on", "hoja0-fila_encabezado": valor, **COLUMNAS}
    )

    assert respuesta.status_code == 200
    contenido = respuesta.content.decode()
    # Al lado del campo (antes del siguiente), y un aviso arriba de todo.
    campo = contenido.index('name="hoja0-fila_encabezado"')
    assert campo < contenido.index(mensaje) < contenido.index('name="hoja0-sin_codigo"')
    assert "No se importó nada: revisá lo marcado en la hoja" in contenido
    assert not ArchivoPendiente.objects.exists()


def test_la_ultima_fila_de_la_hoja_se_acepta_como_encabezado(cliente_staff, planillas, proveedor):
    url = subir(cliente_staff, planillas["xlsx"]({"Lista": lista_con_banner(6)}), proveedor).url
    respuesta = cliente_staff.post(
        url, {"hoja0-importar": "on", "hoja0-fila_encabezado": "10", **COLUMNAS}
    )
    assert respuesta.status_code == 302
    assert ArchivoPendiente.objects.get().mapeo["fila_encabezado"] == 10


def test_una_hoja_vacia_sin_marcar_no_traba_la_importacion_de_las_otras(
    cliente_staff, planillas, proveedor
):
    ruta = planillas["xlsx"]({"Lista": lista_con_banner(3), "Vacía": []})
    url = subir(cliente_staff, ruta, proveedor).url
    datos = {"hoja0-importar": "on", "hoja0-fila_encabezado": "4", **COLUMNAS}
    respuesta = cliente_staff.post(url, {**datos, "hoja1-fila_encabezado": "1"})
    assert respuesta.status_code == 302
    assert ArchivoPendiente.objects.get().hoja_origen == "Lista"


def test_importar_una_hoja_vacia_dice_que_esta_vacia(cliente_staff, planillas, proveedor):
    ruta = planillas["xlsx"]({"Lista": lista_con_banner(3), "Vacía": []})
    url = subir(cliente_staff, ruta, proveedor).url
    respuesta = cliente_staff.post(
        url,
        {
            "hoja0-fila_encabezado": "4",
            "hoja1-importar": "on",
            "hoja1-fila_encabezado": "1",
            "hoja1-codigo": "A",
            "hoja1-descripcion": "B",
            "hoja1-precio": "C",
        },
    )
    assert "La hoja «Vacía» está vacía." in respuesta.content.decode()
    assert not ArchivoPendiente.objects.exists()


def test_un_porcentaje_en_el_nombre_de_la_hoja_no_rompe_el_mensaje(
    cliente_staff, planillas, proveedor
):
    ruta = planillas["xlsx"]({"Oferta 10%": lista_con_banner(6)})
    url = subir(cliente_staff, ruta, proveedor).url
    respuesta = cliente_staff.post(
        url, {"hoja0-importar": "on", "hoja0-fila_encabezado": "0", **COLUMNAS}
    )
    assert "La hoja «Oferta 10%» tiene 10 filas" in respuesta.content.decode()


@pytest.mark.parametrize("formato", ["xlsx", "xls", "ods", "csv"])
def test_la_vista_previa_sabe_cuantas_filas_tiene_la_hoja_entera(planillas, formato):
    ruta = planillas[formato]({"Lista": lista_con_banner(200)})
    with ruta.open("rb") as archivo:
        (hoja,) = leer_vista_previa(archivo, formato, max_filas=30)
    assert (len(hoja.filas), hoja.total_filas) == (30, 204)


def test_un_ods_que_lee_el_lector_propio_cuenta_las_filas_vacias_repetidas(tmp_path):
    with _ods_como_pandas(tmp_path / "danirox.ods").open("rb") as archivo:
        (hoja,) = leer_vista_previa(archivo, "ods", max_filas=30)
        ultima = max(numero for numero, _fila in iterar_filas(archivo, "ods", "Publico"))
    # Encabezado, 5000 filas vacías y un artículo: la fila 5002, como la numera el lector.
    assert hoja.total_filas == ultima == 5002


@pytest.mark.parametrize(
    "nombre",
    [
        "ar_corralon_ferretera_del_norte_3600_biff4.xls",  # xlrd
        "ar_danirox_electricidad_publico_2024-08-02_pandas.ods",  # lector propio de ODS
        "ve_belher_drogueria_lista_precios_biff8.xls",  # calamine
        "ar_ferriplast_lista_general_2024-07-29.xlsx",
        "ar_corralon_articulos_stock_proveedores_utf8.csv",
        "ar_forjarc_optica_lista_resumida_gsheets.csv",
    ],
)
def test_las_filas_de_cada_lista_real_son_las_que_lee_el_lector(nombre):
    with corpus(nombre).open("rb") as archivo:
        formato = detectar_formato(archivo)
        for hoja in leer_vista_previa(archivo, formato, max_filas=60):
            numeros = [n for n, fila in iterar_filas(archivo, formato, hoja.nombre) if any(fila)]
            # Con filas vacías al final (Google Sheets llega a la 1000 o la 10.000) el total
            # puede pasarse; nunca quedarse corto.
            assert hoja.total_filas is not None, hoja.nombre
            assert hoja.total_filas >= max(numeros, default=0), hoja.nombre


@pytest.mark.parametrize(
    ("contenido", "lineas"),
    [
        (b"a;1\r\nb;2\r\n", 2),
        (b"a;1\nb;2", 2),
        (b"a;1\rb;2\r", 2),  # Mac viejo: sólo CR
        (b"x" * ((1 << 20) - 1) + b"\r\n" + b"b;2\r\n", 2),  # un CRLF partido entre bloques
    ],
)
def test_las_lineas_de_un_csv_se_cuentan_como_las_lee_csv_reader(contenido, lineas):
    assert contar_lineas(io.BytesIO(contenido)) == lineas


# --- Encabezados partidos ---------------------------------------------------------------

PARTIDO = [
    ["Código", "Descripción", "PRECIO", "PRECIO", "IVA"],
    ["", "", "ACTUAL", "ANTERIOR", ""],
    ["A1", "Martillo", 1500, 1400, "21%"],
    ["A2", "Pinza", 980, 900, "21%"],
    ["A3", "Destornillador", 450, 420, "21%"],
]


def test_un_encabezado_partido_se_ve_entero_en_las_opciones(cliente_staff, planillas, proveedor):
    url = subir(cliente_staff, planillas["xlsx"]({"Lista": PARTIDO}), proveedor).url
    contenido = cliente_staff.get(url).content.decode()
    assert ">C · PRECIO ACTUAL</option>" in contenido
    assert ">D · PRECIO ANTERIOR</option>" in contenido
    assert "· PRECIO</option>" not in contenido


def test_las_opciones_siguen_la_fila_de_encabezado_que_se_mando(
    cliente_staff, planillas, proveedor
):
    url = subir(cliente_staff, planillas["xlsx"]({"Lista": lista_con_banner(3)}), proveedor).url
    respuesta = cliente_staff.post(url, {"hoja0-fila_encabezado": "5", "hoja0-precio": "D"})
    assert ">D · 10,5</option>" in respuesta.content.decode()  # la fila 5 es el primer artículo


def test_ferriplast_muestra_precio_actual_y_precio_anterior_por_separado(cliente_staff, proveedor):
    ruta = corpus("ar_ferriplast_lista_general_2024-07-29.xlsx")
    url = subir(cliente_staff, ruta, proveedor).url
    etiquetas = dict(cliente_staff.get(url).context["hojas"][0]["form"].fields["precio"].choices)
    assert "ACTUAL" in etiquetas["E"] and "ANTERIOR" in etiquetas["D"], etiquetas


# --- Lo que no es una planilla ---------------------------------------------------------

TEXTO = (
    "Hola, te paso la lista de precios de agosto.\r\n"
    "Cualquier duda me avisás.\r\n\r\n"
    "Saludos,\r\nJuan\r\n"
).encode("cp1252")
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n" * 20


@pytest.mark.parametrize(
    ("contenido", "mensaje"),
    [
        (TEXTO, "el archivo es texto, pero no una tabla separada por comas, punto y coma"),
        (PDF, "es un documento PDF"),
    ],
)
def test_un_texto_o_un_pdf_con_nombre_xlsx_se_rechaza_sin_guardar_nada(
    cliente_staff, proveedor, tmp_path, contenido, mensaje
):
    ruta = tmp_path / "lista.xlsx"
    ruta.write_bytes(contenido)
    antes = archivos_guardados()

    respuesta = subir(cliente_staff, ruta, proveedor)

    assert respuesta.status_code == 200
    (error,) = respuesta.context["form"].errors["archivo"]
    assert error.startswith("No es una planilla:") and mensaje in error
    assert mensaje in respuesta.content.decode()
    assert not Subida.objects.exists()
    assert archivos_guardados() == antes


@pytest.mark.parametrize(
    ("contenido", "que_es"),
    [
        (b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR", "una imagen PNG"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "una imagen JPEG"),
        (b"GIF89a\x01\x00\x01\x00", "una imagen GIF"),
        (b"{\\rtf1\\ansi\\deff0 {\\fonttbl}}", "un documento RTF"),
        (b"\xef\xbb\xbf  <!DOCTYPE html><html><body><table>", "una página web (HTML)"),
        (b"<HTML><table><tr><td>1</td><td>2</td></tr></table>", "una página web (HTML)"),
        (
            b'<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet">',
            "un archivo XML",
        ),
    ],
)
def test_lo_que_se_reconoce_por_la_firma_se_rechaza_diciendo_que_es(contenido, que_es):
    with pytest.raises(ErrorPlanilla, match=re.escape(f"No es una planilla: es {que_es}")):
        detectar_formato(io.BytesIO(contenido))


def test_una_sola_columna_no_es_una_lista_de_precios():
    contenido = "\r\n".join(f"Artículo {i}" for i in range(30)).encode()
    with pytest.raises(ErrorPlanilla, match="texto, pero no una tabla"):
        detectar_formato(io.BytesIO(contenido))


@pytest.mark.parametrize(
    "filas",
    [
        lista_con_banner(1),  # dos líneas de título y un solo artículo
        [["Codigo", "Descripcion", "Precio"]],  # sólo el encabezado
        [["Codigo", "Precio"], ["A1", "10"], ["A2", "1,234,5"], ["A3", "7", "", "extra"]],
    ],
)
def test_un_csv_chico_o_con_titulo_sigue_siendo_una_tabla(tmp_path, filas):
    ruta = escribir_csv(tmp_path / "lista.csv", filas, "cp1252", ";")
    with ruta.open("rb") as archivo:
        assert detectar_formato(archivo) == "csv"
        # Con tantas líneas de título como de datos el «;» empataba con las de un campo
        # y se elegía la coma (la lista se leía entera mal).
        assert detectar_csv(archivo)[1] == ";"
