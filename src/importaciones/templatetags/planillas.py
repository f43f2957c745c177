from django import template

from importaciones.planillas import Celda

register = template.Library()


@register.filter
def celda(valor: Celda) -> str:
    """Una celda como la mostraría la planilla (sin el ".0" de los números enteros)."""
    if valor is None:
        return ""
    if isinstance(valor, float) and valor.is_integer():
        return str(int(valor))
    return str(valor)
