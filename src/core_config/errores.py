"""La página 404 de la app también con DEBUG=1 (`make run`).

Con DEBUG, Django responde a un Http404 con su página técnica en inglés (la lista de
URLs) y no llama a handler404, así que cambiar los handlers de urls.py no alcanza. Los
403 no necesitan nada: Django usa 403.html con o sin DEBUG. Los 500 sí se dejan con la
página técnica: con DEBUG, el traceback es lo que sirve.
"""

from collections.abc import Callable

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.defaults import page_not_found


class PaginaNoEncontradaConDebug:
    """Con DEBUG, la 404 de la app en vez de la técnica. Sin DEBUG no hace nada.

    Va última en MIDDLEWARE: así la 404 pasa por los demás (sesión, usuario, mensajes) y
    CommonMiddleware sigue redirigiendo a la URL con barra final (APPEND_SLASH).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        respuesta = self.get_response(request)
        # Sin resolver_match la URL no coincidió con ninguna ruta (el Resolver404 no pasa
        # por process_exception): la respuesta es la página técnica.
        if settings.DEBUG and respuesta.status_code == 404 and request.resolver_match is None:
            return page_not_found(request, Http404())
        return respuesta

    def process_exception(self, request: HttpRequest, excepcion: Exception) -> HttpResponse | None:
        # El Http404 de una vista (get_object_or_404, una hoja que no existe…).
        if settings.DEBUG and isinstance(excepcion, Http404):
            return page_not_found(request, excepcion)
        return None
