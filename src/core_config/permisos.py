from collections.abc import Callable
from functools import wraps

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse


def staff_requerido(vista: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Sólo personal (is_staff). Sin sesión ya redirige el LoginRequiredMiddleware; sin
    permiso responde 403 en vez de mandar a otro login."""

    @wraps(vista)
    def envoltura(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_staff:
            raise PermissionDenied("Esta sección es sólo para el personal.")
        return vista(request, *args, **kwargs)

    return envoltura
