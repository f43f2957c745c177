"""Subidas hostiles (nombre, tamaño) y exportaciones a salvo de inyección de fórmulas."""

import csv
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import override_settings

from conftest import lista_con_banner
from importaciones.models import ArchivoPendiente, Subida
from precios.models import PrecioDeLista

pytestmark = pytest.mark.django_db

NOMBRE_GENERADO = re.compile(r"^subidas/\d{4}/\d{2}/[0-9a-f]{32}\.xlsx$")
ETIQUETA = "<img src=x onerror=alert(1)>"


def archivos_bajo(carpeta: Path) -> set[Path]:
    return {r.resolve() for r in carpeta.rglob("*") if r.is_file()}


@pytest.mark.parametrize(
    ("nombre", "mostrado"),
    [
        ("../../x.xlsx", "x.xlsx"),
        ("a/b.xlsx", "b.xlsx"),
        # Django se queda con lo que sigue a la última barra.
        ("<script>alert(1)</script>.xlsx", "script&gt;.xlsx"),
        (f"{ETIQUETA}.xlsx", "&lt;img src=x onerror=alert(1)&gt;.xlsx"),
        ("L" * 300 + ".xlsx", "L" * 250 + ".xlsx"),
        ("lista\x00.exe.xlsx", "lista.exe.xlsx"),
    ],
    ids=["subir-de-carpeta", "con-barra", "script", "html", "300-caracteres", "nul"],
)
def test_nombre_hostil_se_guarda_con_nombre_generado_y_se_muestra_escapado(
    cliente_staff, planillas, proveedor, nombre, mostrado
):
    datos_dir = Path(settings.DATA_DIR).resolve()
    privada = datos_dir / "archivos" / "subidas"
    antes = archivos_bajo(datos_dir)
    ruta = planillas["xlsx"]({"Uno": lista_con_banner(3)})

    respuesta = cliente_staff.post(
        "/importaciones/",
        {"archivo": SimpleUploadedFile(nombre, ruta.read_bytes()), "proveedor": proveedor.pk},
    )

    assert respuesta.status_code == 302
    subida = Subida.objects.get()
    assert NOMBRE_GENERADO.match(subida.archivo.name), subida.archivo.name
    guardado = Path(subida.archivo.path).resolve()
    assert guardado.is_relative_to(privada)
    assert guardado.stat().st_mode & 0o777 == 0o600  # sólo el usuario de la app
    nuevos = {r for r in archivos_bajo(datos_dir) - antes if not r.name.startswith("pruebas.")}
    assert nuevos == {guardado}
    assert "\x00" not in subida.nombre_original and "/" not in subida.nombre_original

    mapeo = cliente_staff.get(respuesta.url).content.decode()
    assert mostrado in mapeo
    assert ETIQUETA not in mapeo and "<script>alert" not in mapeo
    cliente_staff.post(
        respuesta.url,
        {
            "hoja0-importar": "on",
            "hoja0-fila_encabezado": "4",
            "hoja0-codigo": "A",
            "hoja0-descripcion": "B",
            "hoja0-precio": "D",
        },
    )
    archivo = ArchivoPendiente.objects.get()
    for url in (
        "/importaciones/",
        f"/importaciones/proveedores/{proveedor.pk}/cola/",
        f"/importaciones/archivos/{archivo.pk}/",
    ):
        pagina = cliente_staff.get(url).content.decode()
        assert mostrado in pagina, url
        assert ETIQUETA not in pagina and "<script>alert" not in pagina, url


def test_archivo_mas_grande_que_el_tope_dice_el_maximo_y_no_guarda_nada(cliente_staff, proveedor):
    privada = Path(settings.DATA_DIR) / "archivos" / "subidas"
    temporales = Path(settings.FILE_UPLOAD_TEMP_DIR)
    antes = archivos_bajo(privada) | archivos_bajo(temporales)
    grande = SimpleUploadedFile("grande.xlsx", b"PK\x03\x04" + b"x" * (3 * 1024 * 1024))

    with override_settings(TARIFARIO_MAX_SUBIDA_MB=1):
        respuesta = cliente_staff.post(
            "/importaciones/", {"proveedor": proveedor.pk, "archivo": grande}
        )

    assert respuesta.status_code == 200
    assert respuesta.context["form"].errors["archivo"] == ["El archivo supera el máximo de 1 MB."]
    assert "El archivo supera el máximo de 1 MB." in respuesta.content.decode()
    assert not Subida.objects.exists()
    assert archivos_bajo(privada) | archivos_bajo(temporales) == antes


def test_archivo_vacio_sigue_diciendo_que_esta_vacio(cliente_staff, proveedor):
    respuesta = cliente_staff.post(
        "/importaciones/",
        {"proveedor": proveedor.pk, "archivo": SimpleUploadedFile("vacia.xlsx", b"")},
    )
    assert "está vacío" in respuesta.content.decode()
    assert not Subida.objects.exists()


# --- Exportación ---------------------------------------------------------------------

PELIGROSOS = [
    # (código, descripción, marca, código de barras) tal como vinieron del proveedor
    ('=HYPERLINK("http://x";"y")', "+cmd|' /C calc'!A0", "@SUM(A1)", "\t=1+1"),
    ("-123", "-2+3", "\r=1", "\n=1"),
    ("A1", "Tornillo -5 mm", "FIXER", "7791234567897"),
]
ESCAPADOS = [
    ['\'=HYPERLINK("http://x";"y")', "'+cmd|' /C calc'!A0", "'@SUM(A1)", "'\t=1+1"],
    # Un código que es un número con signo no es una fórmula: queda como está.
    ["-123", "'-2+3", "'\r=1", "'\n=1"],
    ["A1", "Tornillo -5 mm", "FIXER", "7791234567897"],
]


@pytest.fixture
def precios_peligrosos(proveedor) -> None:
    for i, (codigo, descripcion, marca, barras) in enumerate(PELIGROSOS):
        PrecioDeLista.objects.create(
            proveedor=proveedor,
            codigo=codigo,
            codigo_clave=f"clave{i}",
            descripcion=descripcion,
            marca=marca,
            codigo_barras=barras,
            precio=Decimal("1234.5") + i,
            bulto=10,
        )


def por_codigo(filas: list[list]) -> list[list]:
    orden = [e[0] for e in ESCAPADOS]
    return sorted(filas, key=lambda f: orden.index(f[0]))


def test_exportar_csv_escapa_formulas_y_deja_los_numeros(precios_peligrosos):
    salida = io.StringIO()
    call_command("exportar_precios", "--proveedor", "TOR", stdout=salida)
    filas = list(csv.reader(io.StringIO(salida.getvalue(), newline="")))
    datos = por_codigo(filas[1:])
    assert [[f[0], f[1], f[2], f[7]] for f in datos] == ESCAPADOS
    assert [(f[3], f[4], f[5], f[6]) for f in datos] == [
        ("1234.50", "ARS", "10", "0.21"),
        ("1235.50", "ARS", "10", "0.21"),
        ("1236.50", "ARS", "10", "0.21"),
    ]


def test_exportar_xlsx_escapa_formulas_y_deja_celdas_numericas(precios_peligrosos, tmp_path):
    import python_calamine

    destino = tmp_path / "precios.xlsx"
    call_command(
        "exportar_precios",
        "--proveedor",
        "TOR",
        "--formato",
        "xlsx",
        "--salida",
        str(destino),
        stdout=io.StringIO(),
    )
    libro = python_calamine.CalamineWorkbook.from_path(str(destino))
    filas = por_codigo(libro.get_sheet_by_index(0).to_python()[1:])
    assert [[f[0], f[1], f[2], f[7]] for f in filas] == ESCAPADOS
    # Celdas numéricas, no texto: calamine las devuelve como float.
    assert [[f[3], *f[5:7]] for f in filas] == [
        [1234.5, 10, 0.21],
        [1235.5, 10, 0.21],
        [1236.5, 10, 0.21],
    ]
