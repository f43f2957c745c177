"""Tope de tamaño de las subidas, aplicado mientras llega el cuerpo del pedido.

Django no limita el tamaño de los archivos subidos y gunicorn no limita el
cuerpo: sin esto una subida de varios GB llenaría el disco temporal antes de
que el formulario pudiera rechazarla. Este handler va primero en
FILE_UPLOAD_HANDLERS y corta apenas se pasa del máximo; lo recibido hasta ahí
se descarta (el handler de archivos temporales borra su archivo al cerrarse).

Cortar sin leer el resto (connection_reset=True) libera al worker de gunicorn
enseguida, pero un navegador que todavía está mandando el archivo recibe un
"connection reset" y no ve la respuesta (probado con Chromium: 3 MB contra un
tope de 1 MB muestra el mensaje, 30 MB no). Por eso, si lo que falta es poco
(el pedido entero no llega al doble del máximo), se lee y se tira el resto sin
guardarlo, y la persona ve "El archivo supera el máximo de N MB".
"""

from typing import IO

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest


def maximo_bytes() -> int:
    return settings.TARIFARIO_MAX_SUBIDA_MB * 1024 * 1024


def mensaje_excedida() -> str:
    return f"El archivo supera el máximo de {settings.TARIFARIO_MAX_SUBIDA_MB} MB."


def subida_excedida(request: HttpRequest) -> bool:
    """True si este pedido traía un archivo que se cortó por grande (request.FILES quedó sin él)."""
    return getattr(request, "subida_excedida", False)


class LimiteDeSubida(FileUploadHandler):
    """Cuenta los bytes de archivo del pedido (todos sus archivos) y corta al pasar el máximo."""

    def __init__(self, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.maximo = maximo_bytes()
        self.recibidos = 0
        self.largo_del_pedido = 0

    def handle_raw_input(
        self,
        input_data: IO[bytes],
        META: dict,
        content_length: int,
        boundary: bytes,
        encoding: str | None = None,
    ) -> None:
        # Sólo se anota: una excepción acá no la atrapa el parser y termina en un 500.
        self.largo_del_pedido = content_length

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.recibidos += len(raw_data)
        if self.recibidos > self.maximo:
            if self.request is not None:
                self.request.subida_excedida = True
            raise StopUpload(connection_reset=self.largo_del_pedido > 2 * self.maximo)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        # El archivo lo arman los handlers siguientes (memoria o temporal).
        return None
