"""Tope de tamaño de las subidas con un gunicorn real (el cliente de pruebas de Django
arma todo el cuerpo en memoria, así que no muestra qué pasa mientras llega)."""

import http.cookiejar
import re
import socket
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

from core_config.tests.test_compose import gunicorn_del_compose
from proveedores.models import Proveedor

CLAVE = "clave-segura-123"


class Sesion:
    """Un navegador mínimo: cookies, token CSRF del formulario y subida multipart cruda."""

    def __init__(self, puerto: int) -> None:
        self.base = f"http://127.0.0.1:{puerto}"
        self.puerto = puerto
        self.cookies = http.cookiejar.CookieJar()
        self.abridor = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def get(self, ruta: str) -> tuple[str, str]:
        with self.abridor.open(self.base + ruta, timeout=10) as respuesta:
            return respuesta.url, respuesta.read().decode()

    def token(self, ruta: str) -> str:
        _url, html = self.get(ruta)
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)

    def entrar(self, usuario: str, clave: str) -> None:
        token = self.token("/cuentas/login/")
        datos = {"username": usuario, "password": clave, "csrfmiddlewaretoken": token}
        with self.abridor.open(
            self.base + "/cuentas/login/", urllib.parse.urlencode(datos).encode(), timeout=10
        ) as respuesta:
            assert respuesta.url == self.base + "/importaciones/", "No se pudo iniciar sesión."

    def subir(
        self, campos: dict[str, str], nombre: str, contenido: bytes, enviar: int | None = None
    ) -> tuple[int, str]:
        """POST multipart por un socket. Con `enviar` manda sólo esos primeros bytes del cuerpo
        y espera la respuesta: sólo llega si el servidor no necesitó leer el resto."""
        frontera = uuid.uuid4().hex
        partes = [
            f'--{frontera}\r\nContent-Disposition: form-data; name="{clave}"\r\n\r\n{valor}\r\n'
            for clave, valor in campos.items()
        ]
        cuerpo = (
            "".join(partes).encode()
            + f'--{frontera}\r\nContent-Disposition: form-data; name="archivo"; '
            f'filename="{nombre}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
            + contenido
            + f"\r\n--{frontera}--\r\n".encode()
        )
        cookies = "; ".join(f"{c.name}={c.value}" for c in self.cookies)
        cabecera = (
            f"POST /importaciones/ HTTP/1.1\r\nHost: 127.0.0.1:{self.puerto}\r\n"
            f"Cookie: {cookies}\r\n"
            f"Content-Type: multipart/form-data; boundary={frontera}\r\n"
            f"Content-Length: {len(cuerpo)}\r\nConnection: close\r\n\r\n"
        ).encode()
        recibido = b""
        with socket.create_connection(("127.0.0.1", self.puerto), timeout=15) as conexion:
            conexion.sendall(cabecera + cuerpo[:enviar])
            try:
                while parte := conexion.recv(65536):
                    recibido += parte
            except TimeoutError:
                pytest.fail("El servidor esperó el resto del cuerpo en vez de cortar la subida.")
        encabezados, _, html = recibido.partition(b"\r\n\r\n")
        estado = int(encabezados.split(b" ", 2)[1]) if encabezados else 0
        return estado, html.decode(errors="replace")


@pytest.fixture
def gunicorn() -> Iterator[int]:
    """El comando web del compose, con el tope de subida en 1 MB."""
    with gunicorn_del_compose(TARIFARIO_MAX_SUBIDA_MB="1") as puerto:
        yield puerto


def archivos_en(carpeta: Path) -> list[Path]:
    return [r for r in carpeta.rglob("*") if r.is_file()] if carpeta.exists() else []


@pytest.fixture
def personal(django_user_model) -> Proveedor:
    django_user_model.objects.create_user("ana", password=CLAVE, is_staff=True)
    return Proveedor.objects.create(nombre="El Tornillo", abreviatura="TOR")


def guardados() -> set[Path]:
    """Planillas guardadas y temporales de subida (misma DATA_DIR que el gunicorn)."""
    subidas = Path(settings.DATA_DIR) / "archivos" / "subidas"
    return set(archivos_en(subidas)) | set(archivos_en(Path(settings.FILE_UPLOAD_TEMP_DIR)))


@pytest.mark.parametrize(
    ("megas", "enviar"),
    [
        # Muy grande: se anuncian 30 MB (Django los iría escribiendo a un temporal) y se
        # mandan 2; la respuesta tiene que llegar sin que el servidor espere el resto.
        (30, 2 * 1024 * 1024),
        # Apenas más grande: el servidor lee y tira el resto para poder responder.
        (1.5, None),
    ],
    ids=["corta-sin-leer-el-resto", "descarta-el-resto"],
)
@pytest.mark.django_db(transaction=True)
def test_subida_mayor_al_tope_se_corta_con_mensaje_y_no_deja_archivos(
    gunicorn, personal, megas, enviar
):
    antes = guardados()
    sesion = Sesion(gunicorn)
    sesion.entrar("ana", CLAVE)
    campos = {
        "csrfmiddlewaretoken": sesion.token("/importaciones/"),
        "proveedor": str(personal.pk),
    }
    contenido = b"PK\x03\x04" + b"x" * int(megas * 1024 * 1024)

    estado, html = sesion.subir(campos, "lista.xlsx", contenido, enviar=enviar)

    assert estado == 200
    assert "El archivo supera el máximo de 1 MB." in html
    assert "obligatorio" not in html
    assert guardados() == antes
    assert not personal.subidas.exists()


@pytest.mark.navegador
@pytest.mark.django_db(transaction=True)
def test_chromium_muestra_el_mensaje_de_tope(gunicorn, personal, chromium, tmp_path, monkeypatch):
    from playwright.sync_api import sync_playwright

    grande = tmp_path / "grande.xlsx"
    grande.write_bytes(b"PK\x03\x04" + b"x" * int(1.5 * 1024 * 1024))
    base = f"http://127.0.0.1:{gunicorn}"
    # La API sincrónica de Playwright corre un event loop (ver la fixture `pagina`).
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as p:
        navegador = p.chromium.launch(
            executable_path=str(chromium), headless=True, args=["--no-sandbox"]
        )
        try:
            pagina = navegador.new_page(locale="es-AR")
            pagina.goto(base + "/cuentas/login/")
            pagina.fill("input[name=username]", "ana")
            pagina.fill("input[name=password]", CLAVE)
            pagina.click("button[type=submit]")
            pagina.wait_for_url(base + "/importaciones/")
            pagina.select_option("select[name=proveedor]", str(personal.pk))
            pagina.set_input_files("input[name=archivo]", str(grande))
            pagina.click("#form-subida button[type=submit]")
            pagina.wait_for_load_state()
            texto = pagina.inner_text("main")
        finally:
            navegador.close()
    assert "El archivo supera el máximo de 1 MB." in texto
