import io

import pytest

from conftest import lista_con_banner
from importaciones.lectores import (
    ErrorPlanilla,
    detectar_formato,
    filas_estimadas,
    indice_columna,
    iterar_filas,
    leer_vista_previa,
    letra_columna,
)
from importaciones.lectores.csv import detectar_csv


def test_letras_de_columna_ida_y_vuelta():
    for indice in (0, 25, 26, 701, 702):
        assert indice_columna(letra_columna(indice)) == indice
    assert letra_columna(27) == "AB"


@pytest.mark.parametrize("formato", ["xlsx", "xls", "ods", "csv"])
def test_formato_detectado_por_contenido_aunque_mienta_la_extension(planillas, formato):
    ruta = planillas[formato]({"Lista": lista_con_banner(3)}, nombre=f"lista-{formato}.dat")
    with ruta.open("rb") as archivo:
        assert detectar_formato(archivo) == formato


@pytest.mark.parametrize(
    ("contenido", "mensaje"),
    [
        (b"", "vacío"),
        (b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 100, "No es una planilla"),
        (b"PK\x03\x04 esto no es un zip", "dañado"),
    ],
)
def test_archivos_que_no_son_planillas_se_rechazan_en_castellano(contenido, mensaje):
    with pytest.raises(ErrorPlanilla, match=mensaje):
        detectar_formato(io.BytesIO(contenido))


@pytest.mark.parametrize("formato", ["xlsx", "xls", "ods", "csv"])
def test_filas_con_banner_mantienen_numero_de_fila_y_columnas(planillas, formato):
    ruta = planillas[formato]({"Lista": lista_con_banner(3)})
    nombre_hoja = "CSV" if formato == "csv" else "Lista"
    with ruta.open("rb") as archivo:
        filas = dict(iterar_filas(archivo, formato, nombre_hoja))
    assert filas[4][:4] == ["Cód.", "Descripción", "Marca", "P. Lista"]
    assert filas[5][0] == "00001"
    assert filas[5][3] == "10,5"


@pytest.mark.parametrize("formato", ["xlsx", "xls", "ods", "csv"])
def test_vista_previa_lee_solo_las_primeras_filas_de_cada_hoja(planillas, formato):
    hojas = {"Uno": lista_con_banner(100), "Dos": lista_con_banner(5, inicio=500)}
    ruta = planillas[formato](hojas)
    with ruta.open("rb") as archivo:
        previa = leer_vista_previa(archivo, formato, max_filas=10)
    esperadas = ["CSV"] if formato == "csv" else ["Uno", "Dos"]
    assert [hoja.nombre for hoja in previa] == esperadas
    assert len(previa[0].filas) == 10
    assert previa[0].filas[3][0] == "Cód."
    assert previa[0].filas[4][:2] == ["00001", "Tornillo autorroscante 1 mm"]


def test_vista_previa_xlsx_respeta_columnas_vacias_a_la_izquierda(planillas):
    filas = [[], [None, "Código", "Precio"], [None, "A1", 12.5]]
    with planillas["xlsx"]({"H": filas}).open("rb") as archivo:
        previa = leer_vista_previa(archivo, "xlsx")[0]
        completas = dict(iterar_filas(archivo, "xlsx", "H"))
    assert previa.filas[1] == ["", "Código", "Precio"]
    assert previa.filas[2] == ["", "A1", 12.5]
    assert completas[3] == ["", "A1", 12.5]


def test_csv_windows_1252_con_punto_y_coma(tmp_path):
    ruta = tmp_path / "lista.csv"
    ruta.write_bytes('Código;Descripción;Precio\r\n001;Caño ½" €;1.234,50\r\n'.encode("cp1252"))
    with ruta.open("rb") as archivo:
        assert detectar_csv(archivo) == ("cp1252", ";")
        filas = [fila for _n, fila in iterar_filas(archivo, "csv", "CSV")]
    assert filas[1] == ["001", 'Caño ½" €', "1.234,50"]


def test_csv_utf8_con_bom_no_ensucia_el_encabezado(tmp_path):
    ruta = tmp_path / "lista.csv"
    ruta.write_bytes('\ufeffCodigo,Precio\n1,"1,5"\n'.encode())
    with ruta.open("rb") as archivo:
        filas = [fila for _n, fila in iterar_filas(archivo, "csv", "CSV")]
    assert filas[0] == ["Codigo", "Precio"]


def test_csv_con_bytes_invalidos_se_rechaza_sin_adivinar(tmp_path):
    ruta = tmp_path / "lista.csv"
    ruta.write_bytes(b"Codigo;Precio\n1;\x81\x8d\x8f\x90\x9d\n")
    with ruta.open("rb") as archivo, pytest.raises(ErrorPlanilla, match="codificación"):
        detectar_csv(archivo)


@pytest.mark.parametrize("formato", ["xlsx", "csv"])
def test_estima_las_filas_sin_leer_la_hoja(planillas, formato):
    ruta = planillas[formato]({"Lista": lista_con_banner(500)})
    with ruta.open("rb") as archivo:
        estimadas = filas_estimadas(archivo, formato, "CSV" if formato == "csv" else "Lista")
    assert 450 <= estimadas <= 560


def _ods_como_pandas(ruta):
    """ODS al estilo pandas/odfpy: `office:value` también en celdas de texto (calamine falla)."""
    import zipfile

    def texto(valor):
        return (
            f'<table:table-cell office:value-type="string" office:value="{valor}">'
            f"<text:p>{valor}</text:p></table:table-cell>"
        )

    def numero(valor):
        return (
            f'<table:table-cell office:value-type="float" office:value="{valor}">'
            f"<text:p>{valor}</text:p></table:table-cell>"
        )

    filas = [
        texto("Codigo") + texto("Descripcion") + texto("Publico"),
        # Una fila vacía repetida miles de veces y celdas con repeticiones enormes.
        '<table:table-row table:number-rows-repeated="5000">'
        '<table:table-cell table:number-columns-repeated="16384"/></table:table-row>',
        numero("13128.0")
        + '<table:table-cell><text:p>LIMPIA<text:s text:c="2"/>CONTACTO</text:p></table:table-cell>'
        + numero("5731.357631999999")
        + '<table:table-cell table:number-columns-repeated="16000"/>',
    ]
    filas_xml = "".join(
        fila
        if fila.startswith("<table:table-row")
        else f"<table:table-row>{fila}</table:table-row>"
        for fila in filas
    )
    contenido = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        '<office:body><office:spreadsheet><table:table table:name="Publico">'
        f"{filas_xml}</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    with zipfile.ZipFile(ruta, "w") as libro:
        libro.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        libro.writestr("content.xml", contenido)
    return ruta


def test_ods_escrito_por_pandas_se_lee_con_el_lector_propio(tmp_path):
    ruta = _ods_como_pandas(tmp_path / "danirox.ods")
    with ruta.open("rb") as archivo:
        assert detectar_formato(archivo) == "ods"
        (hoja,) = leer_vista_previa(archivo, "ods")
        filas = list(iterar_filas(archivo, "ods", "Publico"))
    assert hoja.nombre == "Publico"
    assert hoja.filas[0] == ["Codigo", "Descripcion", "Publico"]
    # Las repeticiones vacías no se expanden: la fila 5002 llega con sus 3 celdas.
    assert filas == [
        (1, ["Codigo", "Descripcion", "Publico"]),
        (5002, [13128.0, "LIMPIA  CONTACTO", 5731.357631999999]),
    ]


def test_xls_biff_crudo_sin_ole_se_reconoce_por_contenido():
    assert detectar_formato(io.BytesIO(b"\x09\x04\x06\x00\x00\x00\x10\x00" + b"\x00" * 64)) == "xls"
