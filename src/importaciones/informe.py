"""El informe de un archivo importado: qué cambió contra la lista anterior."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q
from django.db.models.functions import Abs

from precios.models import HistorialPrecio, PrecioDeLista

from .models import ArchivoPendiente

# Tramos del histograma de variaciones (en %): (desde, hasta, etiqueta).
TRAMOS = (
    (None, -50, "< −50 %"),
    (-50, -20, "−50 a −20"),
    (-20, -5, "−20 a −5"),
    (-5, 0, "−5 a 0"),
    (0, 5, "0 a 5"),
    (5, 10, "5 a 10"),
    (10, 20, "10 a 20"),
    (20, 50, "20 a 50"),
    (50, None, "> 50 %"),
)
MOSTRAR = 100


@dataclass
class Barra:
    etiqueta: str
    cantidad: int
    alto: float  # 0–100, para el gráfico

    @property
    def y(self) -> float:
        # El SVG crece hacia abajo: la barra arranca en 100 − alto.
        return 100 - self.alto


def _variacion():
    return ExpressionWrapper(
        (F("precio_nuevo") - F("precio_anterior")) * 100 / F("precio_anterior"),
        output_field=DecimalField(max_digits=30, decimal_places=6),
    )


def cambios(archivo: ArchivoPendiente):
    return (
        HistorialPrecio.objects.filter(archivo=archivo)
        .select_related("precio_lista")
        .annotate(variacion_pct=_variacion())
    )


def sospechosos(archivo: ArchivoPendiente):
    """Más de ±50 % (incluye los patrones ×10 y ×100), los más grandes primero."""
    return (
        cambios(archivo)
        .filter(
            Q(precio_nuevo__gt=F("precio_anterior") * Decimal("1.5"))
            | Q(precio_nuevo__lt=F("precio_anterior") * Decimal("0.5"))
        )
        .order_by(Abs("variacion_pct").desc())
    )


def histograma(archivo: ArchivoPendiente) -> list[Barra]:
    """Cuántos precios cambiaron en cada tramo de variación (una sola consulta)."""
    conteos = {}
    for indice, (desde, hasta, _etiqueta) in enumerate(TRAMOS):
        condicion = Q()
        if desde is not None:
            condicion &= Q(variacion_pct__gte=desde)
        if hasta is not None:
            condicion &= Q(variacion_pct__lt=hasta)
        conteos[f"t{indice}"] = Count("id", filter=condicion)
    resultado = cambios(archivo).aggregate(**conteos)
    maximo = max(resultado.values(), default=0) or 1
    return [
        Barra(etiqueta, resultado[f"t{i}"], resultado[f"t{i}"] * 100 / maximo)
        for i, (_desde, _hasta, etiqueta) in enumerate(TRAMOS)
    ]


def nuevos(archivo: ArchivoPendiente):
    if not archivo.aplicado_en:
        return PrecioDeLista.objects.none()
    return PrecioDeLista.objects.filter(
        proveedor=archivo.proveedor_id, creado_en=archivo.aplicado_en
    ).order_by("codigo_clave")
