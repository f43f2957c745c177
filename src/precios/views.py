from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from proveedores.models import Proveedor

from .models import PrecioDeLista


def buscar(request: HttpRequest) -> HttpResponse:
    """Búsqueda de mostrador: cada palabra debe aparecer en código, descripción, marca o EAN."""
    consulta = request.GET.get("q", "").strip()
    proveedor_id = request.GET.get("proveedor", "")
    precios = PrecioDeLista.objects.select_related("proveedor").order_by("descripcion", "id")
    for palabra in consulta.split()[:6]:
        precios = precios.filter(
            Q(codigo__icontains=palabra)
            | Q(descripcion__icontains=palabra)
            | Q(marca__icontains=palabra)
            | Q(codigo_barras=palabra)
        )
    if proveedor_id.isdigit():
        precios = precios.filter(proveedor_id=proveedor_id)
    pagina = Paginator(precios, 25).get_page(request.GET.get("pagina"))
    for precio in pagina:
        precio.venta = precio.precios_de_venta()
    return render(
        request,
        "precios/buscar.html",
        {
            "consulta": consulta,
            "pagina": pagina,
            "proveedores": Proveedor.objects.all(),
            "proveedor_id": proveedor_id,
        },
    )
