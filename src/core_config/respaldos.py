"""Respaldos: la base (pg_dump o la API de respaldo de SQLite) y los archivos subidos.

Cada respaldo es una carpeta `tarifario-AAAAMMDD-HHMMSS` con `base.dump` (PostgreSQL)
o `base.sqlite3` (SQLite), `archivos.tar.gz` y `respaldo.json`. Se conservan los
últimos N diarios y M semanales.
"""

import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.utils import timezone

PREFIJO = "tarifario-"
FORMATO_FECHA = "%Y%m%d-%H%M%S"


class ErrorRespaldo(Exception):
    pass


def carpeta_de_respaldos() -> Path:
    return Path(os.environ.get("RESPALDOS_DIR") or settings.DATA_DIR / "respaldos")


def _entorno_postgres() -> tuple[list[str], dict[str, str]]:
    datos = connection.settings_dict
    argumentos = [
        "--host",
        datos.get("HOST") or "127.0.0.1",
        "--port",
        str(datos.get("PORT") or 5432),
        "--username",
        datos.get("USER") or "postgres",
        "--dbname",
        datos["NAME"],
    ]
    return argumentos, {**os.environ, "PGPASSWORD": datos.get("PASSWORD") or ""}


def _archivos() -> Path:
    return Path(settings.STORAGES["default"]["OPTIONS"]["location"])


def respaldar(destino: Path | None = None) -> Path:
    destino = destino or carpeta_de_respaldos()
    carpeta = destino / f"{PREFIJO}{timezone.localtime():{FORMATO_FECHA}}"
    carpeta.mkdir(parents=True, exist_ok=False)
    try:
        if connection.vendor == "postgresql":
            argumentos, entorno = _entorno_postgres()
            resultado = subprocess.run(
                ["pg_dump", "--format=custom", "--file", str(carpeta / "base.dump"), *argumentos],
                env=entorno,
                capture_output=True,
                text=True,
            )
            if resultado.returncode:
                raise ErrorRespaldo(f"pg_dump falló: {resultado.stderr.strip()}")
        else:
            # La API de respaldo de SQLite copia una foto coherente aunque la app esté escribiendo.
            with (
                sqlite3.connect(connection.settings_dict["NAME"]) as origen,
                sqlite3.connect(carpeta / "base.sqlite3") as copia,
            ):
                origen.backup(copia)
        with tarfile.open(carpeta / "archivos.tar.gz", "w:gz") as paquete:
            if _archivos().exists():
                paquete.add(_archivos(), arcname="archivos")
        (carpeta / "respaldo.json").write_text(
            json.dumps({"motor": connection.vendor, "fecha": timezone.now().isoformat()})
        )
    except (OSError, sqlite3.Error, ErrorRespaldo):
        shutil.rmtree(carpeta, ignore_errors=True)
        raise
    return carpeta


def restaurar(carpeta: Path) -> None:
    """Reemplaza la base y los archivos por los del respaldo."""
    datos = json.loads((carpeta / "respaldo.json").read_text())
    if datos["motor"] != connection.vendor:
        raise ErrorRespaldo(
            f"El respaldo es de {datos['motor']} y la base configurada es {connection.vendor}."
        )
    connection.close()
    if connection.vendor == "postgresql":
        argumentos, entorno = _entorno_postgres()
        resultado = subprocess.run(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                *argumentos,
                str(carpeta / "base.dump"),
            ],
            env=entorno,
            capture_output=True,
            text=True,
        )
        if resultado.returncode:
            raise ErrorRespaldo(f"pg_restore falló: {resultado.stderr.strip()}")
    else:
        with (
            sqlite3.connect(carpeta / "base.sqlite3") as origen,
            sqlite3.connect(connection.settings_dict["NAME"]) as destino,
        ):
            origen.backup(destino)
    archivos = _archivos()
    if archivos.exists():
        shutil.rmtree(archivos)
    with tarfile.open(carpeta / "archivos.tar.gz", "r:gz") as paquete:
        paquete.extractall(archivos.parent, filter="data")


def podar(destino: Path, diarios: int, semanales: int) -> list[Path]:
    """Borra los respaldos que no son de los últimos `diarios` días ni `semanales` semanas."""
    respaldos = sorted(
        (datetime.strptime(p.name.removeprefix(PREFIJO), FORMATO_FECHA), p)
        for p in destino.glob(f"{PREFIJO}*")
        if p.is_dir()
    )
    conservar: set[Path] = set()
    dias, semanas = {}, {}
    for fecha, ruta in respaldos:  # el último de cada día y de cada semana
        dias[fecha.date()] = ruta
        semanas[fecha.isocalendar()[:2]] = ruta
    conservar |= {dias[d] for d in sorted(dias)[-diarios:]} if diarios else set()
    conservar |= {semanas[s] for s in sorted(semanas)[-semanales:]} if semanales else set()
    borrados = [ruta for _fecha, ruta in respaldos if ruta not in conservar]
    for ruta in borrados:
        shutil.rmtree(ruta)
    return borrados
