from django import template

from importaciones.normalizacion import texto_de_celda

register = template.Library()

# Una celda como la mostraría la planilla (sin el ".0" de los números enteros).
register.filter("celda", texto_de_celda)
