import os
import secrets
import signal
import subprocess
import sys

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from core_config import broker_embebido


class Command(BaseCommand):
    help = (
        "Arranca Tarifario en esta máquina: broker embebido (si no hay CELERY_BROKER_URL), "
        "worker de Celery y la web en el puerto indicado."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--puerto", type=int, default=8001)

    def handle(self, *args, puerto: int, **opciones) -> None:
        procesos: list[subprocess.Popen] = []
        # Un `kill` (SIGTERM) también debe apagar el broker, el worker y la web.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        if settings.BROKER_EMBEBIDO:
            puerto_broker = settings.BROKER_EMBEBIDO_PUERTO
            if broker_embebido.responde(puerto_broker):
                self.stdout.write(f"Broker ya activo en 127.0.0.1:{puerto_broker}.")
            else:
                try:
                    procesos.append(broker_embebido.iniciar(puerto_broker, settings.DATA_DIR))
                except broker_embebido.BrokerNoDisponible as error:
                    raise CommandError(str(error)) from error
                self.stdout.write(f"Broker embebido en 127.0.0.1:{puerto_broker}.")
        self._mostrar_acceso(puerto)

        entorno = {**os.environ, "CELERY_BROKER_URL": settings.CELERY_BROKER_URL}
        celery = [sys.executable, "-m", "celery", "-A", "core_config", "worker", "-l", "INFO"]
        # Con un solo worker, beat puede ir adentro (-B): retención del historial, etc.
        procesos.append(
            subprocess.Popen(
                [*celery, "--concurrency", "1", "--beat"], cwd=settings.BASE_DIR, env=entorno
            )
        )
        web = [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{puerto}"]
        procesos.append(subprocess.Popen(web, cwd=settings.BASE_DIR, env=entorno))
        try:
            procesos[-1].wait()
        except KeyboardInterrupt:
            self.stdout.write("Deteniendo…")
        finally:
            for proceso in reversed(procesos):
                if proceso.poll() is None:
                    proceso.send_signal(signal.SIGTERM)
            for proceso in procesos:
                try:
                    proceso.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proceso.kill()

    def _mostrar_acceso(self, puerto: int) -> None:
        usuarios = get_user_model()
        direccion = f"http://127.0.0.1:{puerto}/importaciones/"
        if usuarios.objects.filter(is_staff=True).exists():
            self.stdout.write(self.style.SUCCESS(f"Abrí {direccion} e ingresá con tu usuario."))
            self.stdout.write(
                "¿Olvidaste la contraseña? .venv/bin/python src/manage.py changepassword USUARIO"
            )
            return
        clave = secrets.token_urlsafe(12)
        usuarios.objects.create_superuser("admin", "", clave)
        self.stdout.write(self.style.SUCCESS(f"Abrí {direccion}"))
        self.stdout.write(
            self.style.WARNING(f"Primer ingreso → usuario: admin  contraseña: {clave}")
        )
        self.stdout.write("(Se muestra una sola vez; cambiala en Administración → Usuarios.)")
