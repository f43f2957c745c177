"""La lectura en streaming de XLSX grandes da las mismas celdas que calamine.

Se compara fila por fila con `iterar_filas` por calamine, en planillas fabricadas
con cada tipo de celda y en las listas reales del corpus.
"""

import io
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, time
from pathlib import Path

import pytest
import xlsxwriter

from conftest import corpus
from importaciones.lectores import Celda, calamine, iterar_filas, xlsx

CORPUS_XLSX = [
    "ar_aceros_bragado_precios.xlsx",
    "ar_bauen_lista16_fusion_jul2024.xlsx",
    "ar_distribuidora3d_lista390_jul2024.xlsx",
    "ar_eq_artistica_productos_nacionales_2024.xlsx",
    "ar_fedafar_farmacia_price_list.xlsx",
    "ar_ferriplast_lista_general_2024-07-29.xlsx",
    "ar_fischer_lista_ferreteria_ago2024.xlsx",
    "ar_vinoteca_montes_articulos_04_2026_xlsx_disfrazado.xls",
    "en_spm_ecommerce_product_catalogue.xlsx",
]


def sin_relleno(filas: Iterator[tuple[int, list[Celda]]]) -> list[tuple[int, list[Celda]]]:
    """Sin las celdas vacías del final de cada fila ni las filas vacías del final.

    calamine completa hasta el ancho de los datos y el streaming hasta el de
    `<dimension>`: una celda que falta a la derecha y una "" son lo mismo para la
    importación.
    """
    resultado = []
    for numero, fila in filas:
        fila = list(fila)
        while fila and fila[-1] == "":
            fila.pop()
        resultado.append((numero, fila))
    while resultado and not resultado[-1][1]:
        resultado.pop()
    return resultado


def comparar_con_calamine(ruta: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    # Umbral enorme: iterar_filas usa calamine aunque la hoja sea grande.
    monkeypatch.setattr(xlsx, "UMBRAL_XLSX_STREAMING", 1 << 62)
    contenido = ruta.read_bytes()
    hojas = calamine._hojas_de_trabajo(calamine.abrir(io.BytesIO(contenido)))
    comparadas = 0
    for hoja in hojas:
        esperado = sin_relleno(iterar_filas(io.BytesIO(contenido), "xlsx", hoja))
        obtenido = sin_relleno(xlsx.filas_en_streaming(io.BytesIO(contenido), hoja))
        for (n_esperado, esperada), (n_obtenido, obtenida) in zip(esperado, obtenido, strict=False):
            assert (hoja, n_obtenido, obtenida) == (hoja, n_esperado, esperada)
        assert len(obtenido) == len(esperado), hoja
        comparadas += len(esperado)
    return comparadas


def escribir_variada(ruta: Path, constant_memory: bool) -> Path:
    # constant_memory escribe textos en línea (<is>); el modo normal, compartidos (<si>).
    libro = xlsxwriter.Workbook(
        str(ruta), {"constant_memory": constant_memory, "strings_to_numbers": False}
    )
    fecha = libro.add_format({"num_format": "dd/mm/yyyy"})
    fecha_hora = libro.add_format({"num_format": "dd/mm/yyyy hh:mm:ss"})
    hora = libro.add_format({"num_format": "hh:mm"})
    duracion = libro.add_format({"num_format": "[h]:mm:ss"})
    pesos = libro.add_format({"num_format": '"$" #,##0.00'})
    predefinida = libro.add_format({"num_format": 14})
    negrita = libro.add_format({"bold": True})
    hoja = libro.add_worksheet("Lista")
    # Columna A vacía, banner, una fila vacía y el encabezado en la fila 4.
    hoja.write_string(0, 1, "FERRETERÍA LA TUERCA – Lista N° 12 «agosto»")
    hoja.write_string(1, 1, "Precios en $ & sin IVA <neto>")
    for columna, titulo in enumerate(["Código", "Descripción", "Precio", "Alta", "Activo"], 1):
        hoja.write_string(3, columna, titulo, negrita)
    for i in range(300):
        fila = 4 + i
        hoja.write_string(fila, 1, f"{i:05d}")
        hoja.write_string(fila, 2, f"Tornillo {i} mm\ncon tuerca" if i % 7 == 0 else f"Art {i}")
        hoja.write_number(fila, 3, (i * 1.1 + 0.1) / 3, pesos)
        hoja.write_datetime(fila, 4, date(2024, 1, 1 + i % 28), fecha)
        hoja.write_boolean(fila, 5, i % 2 == 0)
        if i % 50 == 0:
            hoja.write_blank(fila, 6, None, negrita)  # celda con estilo y sin valor
    fila = 320
    hoja.write_formula(fila, 1, "=2*3", None, 6)
    hoja.write_formula(fila, 2, '="a"&"b"', None, "ab")
    hoja.write_formula(fila, 3, "=1/0", None, "#DIV/0!")
    hoja.write_datetime(fila, 4, datetime(2024, 8, 1, 13, 30, 15), fecha_hora)
    hoja.write_datetime(fila, 5, time(7, 45), hora)
    hoja.write_number(fila, 6, 1.25, duracion)
    hoja.write_number(fila, 7, 45000, predefinida)
    hoja.write_string(fila + 1, 1, "retorno\rde carro _x000D_ y \x01 control")
    hoja.write_number(fila + 1, 2, 0.1 + 0.2)
    hoja.write_number(fila + 1, 3, 1e-12)
    hoja.write_number(fila + 1, 4, -1234567.891)
    hoja.write_number(fila + 1, 5, 123456789012)
    hoja.write_rich_string(fila + 2, 1, "precio ", negrita, "oferta", " hoy")
    hoja.write_string(fila + 5, 27, "columna AB")  # filas vacías en el medio y columna lejana
    otra = libro.add_worksheet("Otra hoja")
    otra.write_row(0, 0, ["Cod", "Precio"])
    otra.write_row(1, 0, ["X1", 10.5])
    libro.close()
    return ruta


def escribir_a_mano(ruta: Path) -> Path:
    """XML como lo escriben otros programas: prefijo x:, atributos en otro orden,
    filas y celdas sin `r`, comillas simples, fórmula antes del valor."""
    hoja = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        "<x:dimension ref='A1:C4'/><x:sheetData>"
        '<x:row r="1"><x:c t="s" r="A1"><x:v>0</x:v></x:c><x:c r="C1" t="inlineStr">'
        "<x:is><x:t xml:space='preserve'> en línea </x:t></x:is></x:c></x:row>"
        '<x:row><x:c><x:v>1.5</x:v></x:c><x:c t="b"><x:v>0</x:v></x:c>'
        '<x:c s="1"><x:f>A2*1000</x:f><x:v>45505</x:v></x:c></x:row>'
        '<x:row r="4" spans="1:3"><x:c r="B4" t="s"><x:v>1</x:v></x:c><x:c r="C4"/></x:row>'
        "</x:sheetData></x:worksheet>"
    )
    compartidos = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<x:sst xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        "<x:si><x:t>uno &amp; dos</x:t></x:si>"
        "<x:si><x:r><x:t>ri</x:t></x:r><x:r><x:rPr><x:b/></x:rPr><x:t>co</x:t></x:r>"
        '<x:rPh sb="0" eb="1"><x:t>FONETICA</x:t></x:rPh></x:si></x:sst>'
    )
    estilos = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<x:styleSheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<x:numFmts count="1"><x:numFmt numFmtId="164" formatCode="d/m/yyyy"/></x:numFmts>'
        '<x:cellXfs count="2"><x:xf numFmtId="0"/><x:xf numFmtId="164"/></x:cellXfs>'
        "</x:styleSheet>"
    )
    libro_xml = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheets><sheet name="Hoja1" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )
    relaciones = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/worksheet" Target="worksheets/sheet1.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/sharedStrings" Target="sharedStrings.xml"/>'
        '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/styles" Target="styles.xml"/></Relationships>'
    )
    tipos = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
        '<Override PartName="/xl/styles.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>'
    )
    raiz = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    )
    with zipfile.ZipFile(ruta, "w", zipfile.ZIP_DEFLATED) as libro:
        libro.writestr("[Content_Types].xml", tipos)
        libro.writestr("_rels/.rels", raiz)
        libro.writestr("xl/workbook.xml", libro_xml)
        libro.writestr("xl/_rels/workbook.xml.rels", relaciones)
        libro.writestr("xl/worksheets/sheet1.xml", hoja)
        libro.writestr("xl/sharedStrings.xml", compartidos)
        libro.writestr("xl/styles.xml", estilos)
    return ruta


@pytest.mark.parametrize("constant_memory", [False, True], ids=["compartidos", "en_linea"])
def test_streaming_lee_lo_mismo_que_calamine_en_planillas_fabricadas(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, constant_memory: bool
) -> None:
    ruta = escribir_variada(tmp_path / "variada.xlsx", constant_memory)
    assert comparar_con_calamine(ruta, monkeypatch) > 300


def test_streaming_lee_xml_con_prefijo_y_sin_referencias(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ruta = escribir_a_mano(tmp_path / "a_mano.xlsx")
    comparar_con_calamine(ruta, monkeypatch)
    assert list(xlsx.filas_en_streaming(io.BytesIO(ruta.read_bytes()), "Hoja1")) == [
        (1, ["uno & dos", "", " en línea "]),
        (2, [1.5, False, date(2024, 8, 1)]),
        (3, ["", "", ""]),
        (4, ["", "rico", ""]),
    ]


@pytest.mark.parametrize("nombre", CORPUS_XLSX)
def test_streaming_lee_lo_mismo_que_calamine_en_el_corpus_real(
    nombre: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert comparar_con_calamine(corpus(nombre), monkeypatch) > 0


def test_una_hoja_grande_se_lee_en_streaming(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ruta = escribir_variada(tmp_path / "variada.xlsx", constant_memory=False)
    monkeypatch.setattr(xlsx, "UMBRAL_XLSX_STREAMING", 0)
    monkeypatch.setattr(calamine, "abrir", lambda archivo: pytest.fail("usó calamine"))
    with ruta.open("rb") as archivo:
        filas = dict(iterar_filas(archivo, "xlsx", "Lista"))
    assert filas[5][1:4] == ["00000", "Tornillo 0 mm\ncon tuerca", pytest.approx(0.1 / 3)]


def test_los_textos_compartidos_ocupan_un_solo_bloque(tmp_path: Path) -> None:
    ruta = escribir_variada(tmp_path / "variada.xlsx", constant_memory=False)
    with zipfile.ZipFile(ruta) as libro:
        textos = xlsx._TextosCompartidos(libro)
    assert textos[0] == "FERRETERÍA LA TUERCA – Lista N° 12 «agosto»"
    assert textos[10**6] == ""
    assert len(textos.datos) < 10_000
