from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from proveedores.models import Proveedor

from .busqueda import PaginadorAcotado, buscar_precios
from .models import Moneda, PrecioDeLista

# Los precios se guardan y se muestran en la moneda de la lista: todavía no se convierten a
# pesos, y los de venta (calcular_precios_de_venta) salen en la misma moneda. La página lo
# avisa junto a cada precio que no está en pesos.
NOMBRE_DE_MONEDA = {Moneda.USD: "dólares", Moneda.EUR: "euros"}


def aviso_sin_convertir(moneda: str) -> str:
    """Vacío para un precio en pesos; si no, p. ej. "en dólares: sin convertir a pesos"."""
    if moneda == Moneda.ARS:
        return ""
    return f"en {NOMBRE_DE_MONEDA.get(moneda, moneda)}: sin convertir a pesos"


def _id_de_proveedor(valor: str) -> int | None:
    """El filtro ?proveedor=; uno que no puede existir (p. ej. 10**30) no encuentra nada."""
    if not (valor.isascii() and valor.isdigit()):
        return None
    numero = int(valor)
    return numero if numero < 2**63 else 0


def buscar(request: HttpRequest) -> HttpResponse:
    """Búsqueda de mostrador: cada palabra en código, descripción, marca o EAN (ver busqueda.py)."""
    consulta = request.GET.get("q", "").strip()
    proveedor_id = request.GET.get("proveedor", "")
    # Con más de `tope` coincidencias se muestran las primeras (ver PaginadorAcotado).
    precios = buscar_precios(
        consulta, _id_de_proveedor(proveedor_id), limite=PaginadorAcotado.tope + 1
    )
    pagina = PaginadorAcotado(precios, 25).get_page(request.GET.get("pagina"))
    for precio in pagina:
        precio.venta = precio.precios_de_venta()
        precio.aviso_moneda = aviso_sin_convertir(precio.moneda)
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


ANCHO_GRAFICO, ALTO_GRAFICO = 600, 120


def puntos_del_grafico(precio: PrecioDeLista, cambios: list) -> str:
    """La evolución del precio como puntos de una polilínea SVG (x en el tiempo, y el precio)."""
    serie = [(precio.creado_en, cambios[0].precio_anterior if cambios else precio.precio)]
    serie += [(cambio.fecha, cambio.precio_nuevo) for cambio in cambios]
    if len(serie) < 2:
        return ""
    inicio, fin = serie[0][0], serie[-1][0]
    minimo, maximo = min(v for _, v in serie), max(v for _, v in serie)
    lapso = (fin - inicio).total_seconds() or 1
    rango = (maximo - minimo) or 1
    return " ".join(
        f"{(fecha - inicio).total_seconds() / lapso * ANCHO_GRAFICO:.1f},"
        f"{ALTO_GRAFICO - float((valor - minimo) / rango) * (ALTO_GRAFICO - 10) - 5:.1f}"
        for fecha, valor in serie
    )


def detalle(request: HttpRequest, pk: int) -> HttpResponse:
    """La ficha de un precio de lista: precios de venta y su historial."""
    precio = get_object_or_404(PrecioDeLista.objects.select_related("proveedor"), pk=pk)
    cambios = list(precio.historial.select_related("archivo").order_by("fecha", "id"))
    return render(
        request,
        "precios/detalle.html",
        {
            "precio": precio,
            "venta": precio.precios_de_venta(),
            "aviso_moneda": aviso_sin_convertir(precio.moneda),
            "cambios": list(reversed(cambios)),
            "puntos": puntos_del_grafico(precio, cambios),
            "ancho": ANCHO_GRAFICO,
            "alto": ALTO_GRAFICO,
        },
    )
