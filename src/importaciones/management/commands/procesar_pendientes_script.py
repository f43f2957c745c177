from django.core.management.base import BaseCommand

from importaciones import services
from importaciones.avance import AvanceEnConsola
from importaciones.models import ArchivoPendiente

from .importar_lista import describir


class Command(BaseCommand):
    help = "Procesa en este proceso los archivos pendientes (alternativa síncrona a Celery)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--limit", type=int, default=None, help="Procesar como máximo N archivos."
        )

    def handle(self, *args, limit: int | None, **opciones) -> None:
        avance = AvanceEnConsola(self.stdout)
        resumenes = services.procesar_pendientes(limite=limit, al_avanzar=avance)
        avance.terminar()
        archivos = ArchivoPendiente.objects.select_related("proveedor").in_bulk(
            [r["archivo"] for r in resumenes]
        )
        for resumen in resumenes:
            self.stdout.write(describir(archivos[resumen["archivo"]]))
        self.stdout.write(f"Procesados: {len(resumenes)} archivo(s).")
