from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.cache import never_cache


def portada(request: HttpRequest) -> HttpResponse:
    """El personal va a importar listas; el mostrador, a buscar precios."""
    return redirect("importaciones:inicio" if request.user.is_staff else "precios:buscar")


@login_not_required
@never_cache
def salud(request: HttpRequest) -> HttpResponse:
    """Para el healthcheck de Docker: la app responde y llega a la base."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return HttpResponse("base de datos no disponible", status=503, content_type="text/plain")
    return HttpResponse("ok", content_type="text/plain")
