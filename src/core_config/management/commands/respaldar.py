from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core_config import respaldos


class Command(BaseCommand):
    help = "Respalda la base y los archivos subidos; conserva N diarios y M semanales."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--destino", type=Path, help="Carpeta (por defecto DATA_DIR/respaldos)."
        )
        parser.add_argument("--diarios", type=int, default=7)
        parser.add_argument("--semanales", type=int, default=4)

    def handle(self, *args, destino: Path | None, diarios: int, semanales: int, **opciones) -> None:
        destino = destino or respaldos.carpeta_de_respaldos()
        try:
            carpeta = respaldos.respaldar(destino)
        except (OSError, respaldos.ErrorRespaldo) as error:
            raise CommandError(f"No se pudo respaldar: {error}") from error
        self.stdout.write(self.style.SUCCESS(f"Respaldo creado en {carpeta}"))
        for viejo in respaldos.podar(destino, diarios, semanales):
            self.stdout.write(f"Borrado por antigüedad: {viejo.name}")
