"""La hoja reclamada, de la planilla al CSV normalizado, leída en el lector aislado.

El worker copia la planilla del storage a una carpeta temporal, corre `lector.py` en otro
proceso (con límites de memoria, CPU y un reloj de pared), sigue su avance línea por línea
renovando el reclamo, y sube al storage el CSV normalizado y el de filas descartadas.
"""

import json
import logging
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage

from . import reclamo
from .lector import Lectura
from .lectores import ErrorPlanilla
from .models import ArchivoPendiente, ConfigImportacion

logger = logging.getLogger(__name__)

# Se llama con el archivo y las filas leídas hasta ahora (la barra de la línea de comandos).
AlAvanzar = Callable[[ArchivoPendiente, int], None]


def convertir_a_csv(archivo: ArchivoPendiente, al_avanzar: AlAvanzar | None = None) -> Lectura:
    """Lee la hoja en el lector aislado; guarda en el storage el CSV normalizado y los descartes."""
    config = archivo.config_usada
    with tempfile.TemporaryDirectory(prefix="tarifario-lector-") as carpeta:
        rutas = {nombre: Path(carpeta) / nombre for nombre in ("origen", "csv", "descartes")}
        with archivo.subida.archivo.open("rb") as fuente, rutas["origen"].open("wb") as copia:
            shutil.copyfileobj(fuente, copia, 1 << 20)
        trabajo = {
            **{nombre: str(ruta) for nombre, ruta in rutas.items()},
            "formato": archivo.subida.formato,
            "hoja": archivo.hoja_origen,
            "mapeo": archivo.mapeo,
            "separador_guardado": config.separador_decimal if config else "",
            "memoria_mb": settings.TARIFARIO_LECTOR_MEMORIA_MB,
            "cpu_segundos": settings.TARIFARIO_LECTOR_SEGUNDOS,
        }
        lectura = _leer_aislado(archivo, trabajo, Path(carpeta), al_avanzar)
        # Terminada la lectura, el total ya no es una estimación.
        archivo.filas_totales = lectura.leidas
        if al_avanzar:
            al_avanzar(archivo, lectura.leidas)
        if lectura.validas == 0:
            raise ErrorPlanilla(_sin_filas_validas(lectura))
        if config and lectura.separador_detectado not in (None, config.separador_decimal):
            ConfigImportacion.objects.filter(pk=config.pk).update(
                separador_decimal=lectura.separador_detectado
            )
        with rutas["csv"].open("rb") as normalizado:
            archivo.ruta_csv = _guardar(
                normalizado, archivo.ruta_csv, f"csv/archivo-{archivo.pk}.csv"
            )
        if lectura.descartadas:
            with rutas["descartes"].open("rb") as descartadas:
                archivo.ruta_descartes = _guardar(
                    descartadas, archivo.ruta_descartes, f"descartes/archivo-{archivo.pk}.csv"
                )
    reclamo.anotar(
        archivo,
        ruta_csv=archivo.ruta_csv,
        ruta_descartes=archivo.ruta_descartes,
        filas_leidas=lectura.leidas,
        filas_totales=lectura.leidas,
    )
    return lectura


def _leer_aislado(
    archivo: ArchivoPendiente, trabajo: dict, carpeta: Path, al_avanzar: AlAvanzar | None
) -> Lectura:
    """Corre importaciones.lector en otro proceso y sigue su avance línea por línea."""
    comando = [sys.executable, "-m", "importaciones.lector", json.dumps(trabajo)]
    errores = carpeta / "errores.txt"
    with errores.open("wb") as salida_errores:
        proceso = subprocess.Popen(
            comando,
            cwd=settings.BASE_DIR,
            stdout=subprocess.PIPE,
            stderr=salida_errores,
            text=True,
            encoding="utf-8",
        )
    # El límite de CPU no cubre a un lector bloqueado: además, un reloj de pared.
    reloj = threading.Timer(settings.TARIFARIO_LECTOR_SEGUNDOS, proceso.kill)
    reloj.start()
    resultado = None
    try:
        for linea in proceso.stdout:
            clave, _espacio, valor = linea.rstrip("\n").partition(" ")
            if clave == "total":
                archivo.filas_totales = int(valor)
                reclamo.anotar(archivo, filas_totales=archivo.filas_totales)
            elif clave == "avance":
                reclamo.renovar_reclamo(archivo, int(valor))
                if al_avanzar:
                    al_avanzar(archivo, int(valor))
            elif clave == "resultado":
                resultado = json.loads(valor)
        codigo = proceso.wait()
    finally:
        reloj.cancel()
        if proceso.poll() is None:
            proceso.kill()
            proceso.wait()
    if resultado is None:
        raise ErrorPlanilla(
            _motivo_de_la_caida(archivo, codigo, errores.read_text(errors="replace"))
        )
    if "error" in resultado:
        raise ErrorPlanilla(resultado["error"])
    return Lectura(
        leidas=resultado["leidas"],
        validas=resultado["validas"],
        por_descripcion=resultado["por_descripcion"],
        reparadas=resultado["reparadas"],
        motivos=Counter(resultado["motivos"]),
        separador_detectado=resultado["separador"],
    )


def _motivo_de_la_caida(archivo: ArchivoPendiente, codigo: int, errores: str) -> str:
    """El lector terminó sin resultado: qué decirle a la persona (el detalle va al log)."""
    logger.error("El lector del archivo %s terminó con código %s:\n%s", archivo.pk, codigo, errores)
    if codigo in (-signal.SIGKILL, -signal.SIGXCPU):
        segundos = settings.TARIFARIO_LECTOR_SEGUNDOS
        plazo = f"{segundos // 60} minutos" if segundos >= 120 else f"{segundos} segundos"
        return (
            f"Leer el archivo llevó más de {plazo} y se detuvo. "
            "Revisá que no tenga celdas usadas muy lejos de la lista, o dividilo."
        )
    if codigo < 0 or "MemoryError" in errores:
        return (
            "El archivo es demasiado grande o complejo para leerlo: el lector se quedó sin "
            "memoria. Suele pasar con celdas usadas muy lejos de la lista (por ejemplo en la "
            "columna XFD); borralas o copiá sólo la lista a un libro nuevo."
        )
    return (
        "No se pudo leer el archivo (el lector falló). Probá guardarlo de nuevo desde Excel "
        "o LibreOffice y volver a subirlo."
    )


def _guardar(temporal, nombre_anterior: str, nombre: str) -> str:
    """Sube un archivo temporal al storage (reemplaza el de un intento anterior)."""
    temporal.seek(0)
    if nombre_anterior:
        default_storage.delete(nombre_anterior)
    return default_storage.save(nombre, File(temporal))


def _sin_filas_validas(lectura: Lectura) -> str:
    if not lectura.leidas:
        return "La hoja no tiene filas de datos debajo del encabezado."
    motivos = ", ".join(
        f"{motivo}: {cantidad}" for motivo, cantidad in lectura.motivos.most_common(3)
    )
    return (
        f"Ninguna de las {lectura.leidas} filas tiene código y precio válidos ({motivos}). "
        "Revisá qué columnas se eligieron para código y precio."
    )
