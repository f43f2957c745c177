"""Avance de una importación en la línea de comandos."""

import time

from django.core.management.base import OutputWrapper

from .models import ArchivoPendiente

ANCHO_BARRA = 30


def _miles(numero: float) -> str:
    return f"{numero:,.0f}".replace(",", ".")


class AvanceEnConsola:
    """Una barra que se redibuja en una terminal; líneas simples si la salida es un archivo."""

    def __init__(self, salida: OutputWrapper) -> None:
        self.salida = salida
        self.es_terminal = salida.isatty()
        self.cada = 0.2 if self.es_terminal else 2.0
        self.ultimo_dibujo = 0.0
        self.inicio: dict[int, float] = {}

    def __call__(self, archivo: ArchivoPendiente, filas_leidas: int) -> None:
        ahora = time.monotonic()
        inicio = self.inicio.setdefault(archivo.pk, ahora)
        final = archivo.filas_totales is not None and filas_leidas >= archivo.filas_totales
        if ahora - self.ultimo_dibujo < self.cada and not final:
            return
        self.ultimo_dibujo = ahora
        total = archivo.filas_totales
        detalle = f"{_miles(filas_leidas)} filas"
        fraccion = min(filas_leidas / total, 1.0) if total else None
        if fraccion is not None:
            detalle = f"{_miles(filas_leidas)}/{_miles(total)} filas ({fraccion:.0%})"
        if ahora > inicio:
            detalle += f" · {_miles(filas_leidas / (ahora - inicio))} filas/s"
        nombre = f"{archivo.nombre_archivo_origen} [{archivo.hoja_origen}]"
        if not self.es_terminal:
            self.salida.write(f"{nombre}: {detalle}")
            return
        barra = "" if fraccion is None else "█" * round(fraccion * ANCHO_BARRA)
        self.salida.write(f"\r{nombre} {barra.ljust(ANCHO_BARRA, '·')} {detalle}  ", ending="")
        self.salida.flush()

    def terminar(self) -> None:
        """Cierra la línea de la barra antes de escribir otra cosa."""
        if self.es_terminal and self.inicio:
            self.salida.write("")
        self.inicio.clear()
