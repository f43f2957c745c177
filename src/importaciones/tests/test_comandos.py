import csv
import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from conftest import lista_con_banner
from importaciones.models import ArchivoPendiente
from precios.models import PrecioDeLista
from proveedores.models import Proveedor

pytestmark = pytest.mark.django_db


def correr(*argumentos, **opciones) -> str:
    salida = io.StringIO()
    call_command(*argumentos, stdout=salida, **opciones)
    return salida.getvalue()


def test_importar_lista_ahora_crea_el_proveedor_y_procesa(planillas):
    ruta = planillas["ods"]({"Uno": lista_con_banner(4), "Dos": lista_con_banner(2, inicio=100)})
    salida = correr(
        "importar_lista",
        str(ruta),
        "--proveedor",
        "tor",
        "--crear",
        "--nombre",
        "El Tornillo",
        "--ahora",
    )
    assert "✓ lista.ods [Uno] → TOR: 4 precios (4 nuevos" in salida
    assert "✓ lista.ods [Dos] → TOR: 2 precios" in salida
    assert Proveedor.objects.get().nombre == "El Tornillo"
    assert PrecioDeLista.objects.count() == 6


def test_importar_lista_sin_ahora_deja_pendiente_y_el_script_lo_procesa(planillas, proveedor):
    ruta = planillas["csv"]({"L": lista_con_banner(3)})
    assert "Encolado(s) 1 archivo(s)" in correr("importar_lista", str(ruta), "--proveedor", "TOR")
    assert ArchivoPendiente.objects.get().estado == "pendiente"
    salida = correr("procesar_pendientes_script", "--limit", "1")
    assert "3 precios" in salida and "Procesados: 1 archivo(s)." in salida
    assert ArchivoPendiente.objects.get().procesado


def test_importar_lista_elige_hojas_con_hoja(planillas, proveedor):
    ruta = planillas["xlsx"]({"Uno": lista_con_banner(4), "Dos": lista_con_banner(2)})
    correr("importar_lista", str(ruta), "--proveedor", "TOR", "--hoja", "Dos", "--ahora")
    assert list(ArchivoPendiente.objects.values_list("hoja_origen", flat=True)) == ["Dos"]


@pytest.mark.parametrize(
    ("argumentos", "mensaje"),
    [
        (["no-existe.xlsx", "--proveedor", "TOR"], "No existe el archivo"),
        (["{lista}", "--proveedor", "NADA"], "No hay un proveedor con abreviatura NADA"),
        (["{lista}", "--proveedor", "TOR", "--hoja", "Otra"], "no tiene la(s) hoja(s) Otra"),
        (["{basura}", "--proveedor", "TOR"], "No es una planilla"),
        (["{sin_columnas}", "--proveedor", "TOR"], "No se reconocieron las columnas"),
    ],
)
def test_importar_lista_explica_la_entrada_mala(
    planillas, proveedor, tmp_path, argumentos, mensaje
):
    basura = tmp_path / "basura.xlsx"
    basura.write_bytes(b"\x00\x01\x02" * 50)
    rutas = {
        "lista": planillas["xlsx"]({"Uno": lista_con_banner(2)}),
        "basura": basura,
        "sin_columnas": planillas["csv"]({"L": [["a", "b"], ["1", "2"]]}, nombre="raro.csv"),
    }
    argumentos = [a.format(**rutas) for a in argumentos]
    with pytest.raises(CommandError, match=mensaje.replace("(", r"\(").replace(")", r"\)")):
        call_command("importar_lista", *argumentos)
    assert not PrecioDeLista.objects.exists()


def test_exportar_precios_csv_ordenado_con_punto_decimal(planillas, proveedor):
    filas = [
        ["Código", "Descripción", "Marca", "Precio", "EAN"],
        ["B2", "Llave", "X", "1.234,5", ""],
        ["A1", "Pinza", "", "10", 7791234567897],
        ["0037", "Mecha", "Y", "0,55145", ""],
    ]
    correr("importar_lista", str(planillas["xlsx"]({"L": filas})), "--proveedor", "TOR", "--ahora")
    filas_csv = list(csv.reader(io.StringIO(correr("exportar_precios", "--proveedor", "tor"))))
    assert filas_csv == [
        ["codigo", "descripcion", "marca", "precio", "moneda", "bulto", "iva", "codigo_barras"],
        ["0037", "Mecha", "Y", "0.55145", "ARS", "1", "0.21", ""],
        ["A1", "Pinza", "", "10.00", "ARS", "1", "0.21", "7791234567897"],
        ["B2", "Llave", "X", "1234.50", "ARS", "1", "0.21", ""],
    ]


@pytest.fixture
def precios_en_dos_monedas(proveedor) -> None:
    PrecioDeLista.objects.create(
        proveedor=proveedor,
        codigo="D1",
        codigo_clave="D1",
        descripcion="Amoladora importada",
        precio=Decimal("12.5"),
        moneda="USD",
    )
    PrecioDeLista.objects.create(
        proveedor=proveedor,
        codigo="P1",
        codigo_clave="P1",
        descripcion="Tarugo 8",
        precio=Decimal("1045"),
    )
    # Sin código: sale con el código vacío y en su moneda.
    PrecioDeLista.objects.create(
        proveedor=proveedor,
        codigo="",
        codigo_clave="desc:3f2a",
        descripcion="Disco de corte",
        precio=Decimal("3"),
        moneda="EUR",
    )


def test_exportar_precios_csv_con_la_moneda_despues_del_precio(precios_en_dos_monedas):
    filas = list(csv.reader(io.StringIO(correr("exportar_precios", "--proveedor", "TOR"))))
    assert filas[0][3:5] == ["precio", "moneda"]
    assert [fila[:5] for fila in filas[1:]] == [
        ["", "Disco de corte", "", "3.00", "EUR"],
        ["D1", "Amoladora importada", "", "12.50", "USD"],
        ["P1", "Tarugo 8", "", "1045.00", "ARS"],
    ]


def test_exportar_precios_xlsx_con_la_moneda_despues_del_precio(precios_en_dos_monedas, tmp_path):
    import python_calamine

    destino = tmp_path / "precios.xlsx"
    correr("exportar_precios", "--proveedor", "TOR", "--formato", "xlsx", "--salida", str(destino))
    filas = (
        python_calamine.CalamineWorkbook.from_path(str(destino)).get_sheet_by_index(0).to_python()
    )
    assert filas[0][3:5] == ["precio", "moneda"]
    assert [fila[:5] for fila in filas[1:]] == [
        ["", "Disco de corte", "", 3.0, "EUR"],
        ["D1", "Amoladora importada", "", 12.5, "USD"],
        ["P1", "Tarugo 8", "", 1045.0, "ARS"],
    ]


def test_exportar_precios_xlsx_mantiene_numeros(planillas, proveedor, tmp_path):
    import python_calamine

    correr(
        "importar_lista",
        str(planillas["csv"]({"L": lista_con_banner(3)})),
        "--proveedor",
        "TOR",
        "--ahora",
    )
    destino = tmp_path / "precios.xlsx"
    correr("exportar_precios", "--proveedor", "TOR", "--formato", "xlsx", "--salida", str(destino))
    filas = (
        python_calamine.CalamineWorkbook.from_path(str(destino)).get_sheet_by_index(0).to_python()
    )
    assert filas[1][:4] == ["00001", "Tornillo autorroscante 1 mm", "FIXER", 10.5]
    assert Decimal(str(filas[3][3])) == Decimal("30.5")


class SalidaDeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_importar_lista_ahora_muestra_el_avance(planillas, proveedor):
    ruta = planillas["csv"]({"L": lista_con_banner(12_000)})
    en_archivo = correr("importar_lista", str(ruta), "--proveedor", "TOR", "--ahora")
    assert "lista.csv [CSV]: 12.000/12.000 filas (100%)" in en_archivo
    assert "\r" not in en_archivo

    terminal = SalidaDeTerminal()
    call_command("importar_lista", str(ruta), "--proveedor", "TOR", "--ahora", stdout=terminal)
    dibujos = terminal.getvalue().split("\r")
    assert "█" * 30 in dibujos[-1] and "(100%)" in dibujos[-1]


def test_procesar_pendientes_script_muestra_el_avance(planillas, proveedor):
    correr(
        "importar_lista",
        str(planillas["xlsx"]({"L": lista_con_banner(5000)})),
        "--proveedor",
        "TOR",
    )
    salida = correr("procesar_pendientes_script")
    assert "lista.xlsx [L]: 5.000/5.000 filas (100%)" in salida
