from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core_config import respaldos


class Command(BaseCommand):
    help = "Restaura un respaldo de `respaldar` (reemplaza la base y los archivos actuales)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("respaldo", type=Path, help="Carpeta tarifario-AAAAMMDD-HHMMSS.")
        parser.add_argument("--si", action="store_true", help="No preguntar antes de reemplazar.")

    def handle(self, *args, respaldo: Path, si: bool, **opciones) -> None:
        if not (respaldo / "respaldo.json").exists():
            raise CommandError(f"«{respaldo}» no es una carpeta de respaldo de Tarifario.")
        if (
            not si
            and input("Esto reemplaza la base y los archivos actuales. ¿Seguir? [s/N] ") != "s"
        ):
            raise CommandError("Cancelado.")
        try:
            respaldos.restaurar(respaldo)
        except (OSError, respaldos.ErrorRespaldo) as error:
            raise CommandError(f"No se pudo restaurar: {error}") from error
        self.stdout.write(self.style.SUCCESS(f"Restaurado {respaldo.name}."))
