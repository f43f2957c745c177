"""Lo que comparten los benchs de bench/: Django, bases vacías, el proceso que mide y la máquina.

Cada bench mide en un proceso nuevo (`<script> --interno …`) con una base vacía, para que
un caso no herede la memoria ni los cachés de otro: el proceso padre elige la base, arma el
entorno, lo lanza y lee el JSON que imprime al final. Eso mismo estaba copiado en cada
script; vive acá para que los números de un bench y otro salgan de la misma preparación.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

RAIZ = Path(__file__).resolve().parent.parent
DATOS = RAIZ / "bench-data"


def usar_src() -> None:
    """Para importar el proyecto (src/) desde un script de bench/."""
    sys.path.insert(0, str(RAIZ / "src"))


def preparar_django(estaticos: bool = False) -> None:
    """django.setup() y migrate sobre la base de DATABASE_URL; collectstatic si se sirven vistas
    con DEBUG=0 (las plantillas piden el manifiesto de estáticos)."""
    usar_src()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "core_config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    if estaticos:
        call_command("collectstatic", "--noinput", verbosity=0)


def base_postgres_limpia(url: str, nombre: str) -> str:
    """Borra y crea la base `nombre` en el servidor de `url`; devuelve su URL."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conexion:
        conexion.execute(f'DROP DATABASE IF EXISTS "{nombre}"')
        conexion.execute(f'CREATE DATABASE "{nombre}"')
    return url.rsplit("/", 1)[0] + "/" + nombre


def base_vacia(motor: str, directorio: str, postgres: str, nombre: str) -> str:
    """DATABASE_URL de una base vacía: un archivo nuevo en `directorio` o una base recreada."""
    if motor == "sqlite":
        return f"sqlite:///{directorio}/bench.sqlite3"
    return base_postgres_limpia(postgres, nombre)


def entorno_de_bench(url: str, directorio: str) -> dict[str, str]:
    """Como producción (DEBUG=0, sólo avisos en el log) contra `url`, datos en `directorio`."""
    return {
        **os.environ,
        "DATABASE_URL": url,
        "DATA_DIR": directorio,
        "DEBUG": "0",
        "SECRET_KEY": "bench-" + "x" * 50,
        "ALLOWED_HOSTS": "testserver",
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "core_config.settings",
        "PYTHONPATH": str(RAIZ / "bench"),
    }


def correr_interno(
    comando: list[str], entorno: dict[str, str], directorio: str, caso: str
) -> tuple[dict, int]:
    """Corre el proceso que mide y devuelve el JSON de su última línea y su pico de RSS en MB.

    wait4 da el uso de recursos de este hijo solo (ru_maxrss en KB en Linux); getrusage de
    los hijos daría el máximo de todos los que ya terminaron.
    """
    salida_ruta = Path(directorio) / "salida.txt"
    errores_ruta = Path(directorio) / "errores.txt"
    with salida_ruta.open("w") as salida, errores_ruta.open("w") as errores:
        proceso = subprocess.Popen(comando, env=entorno, stdout=salida, stderr=errores)
        _pid, estado, uso = os.wait4(proceso.pid, 0)
    if os.waitstatus_to_exitcode(estado) != 0:
        raise RuntimeError(f"{caso} falló:\n{errores_ruta.read_text()[-4000:]}")
    resultado = json.loads(salida_ruta.read_text().strip().splitlines()[-1])
    return resultado, round(uso.ru_maxrss / 1024)


def percentil(valores: list[float], p: float) -> float:
    ordenados = sorted(valores)
    return ordenados[min(len(ordenados) - 1, round(p / 100 * (len(ordenados) - 1)))]


def maquina() -> str:
    """Núcleos, RAM, Python y commit: para saber de dónde salió cada cifra."""
    memoria = next(
        int(linea.split()[1]) // 1024
        for linea in Path("/proc/meminfo").read_text().splitlines()
        if linea.startswith("MemTotal")
    )
    commit = subprocess.run(
        ["git", "-C", str(RAIZ), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    sucio = subprocess.run(
        ["git", "-C", str(RAIZ), "status", "--porcelain", "--untracked-files=no"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    return (
        f"{os.cpu_count()} núcleos, {memoria:,} MB de RAM, Python {sys.version.split()[0]}, "
        f"commit {commit}{' con cambios sin commitear' if sucio else ''}"
    )
