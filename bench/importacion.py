"""`make bench`: mide la importación de una lista sintética en SQLite y PostgreSQL.

Genera la lista (banner + encabezado + N filas, xlsx y csv), y por cada caso
levanta un proceso nuevo con una base vacía que: sube el archivo por la vista
web (mide la respuesta), confirma el mapeo sugerido e importa con el mismo
código que usa el worker; después importa otra lista con todos los precios
cambiados. Imprime filas/s y el pico de memoria (RSS) del proceso.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RAIZ = Path(__file__).resolve().parent.parent


def generar(ruta: Path, filas: int, aumento: float = 1.0) -> Path:
    import xlsxwriter

    if ruta.suffix == ".csv":
        with ruta.open("w", encoding="utf-8", newline="") as destino:
            destino.write("LISTA DE PRECIOS SINTETICA\n\nCodigo;Descripcion;Marca;Precio\n")
            for i in range(filas):
                precio = f"{(100 + i * 0.37) * aumento:.2f}".replace(".", ",")
                destino.write(
                    f"A{i:07d};Articulo de ferreteria numero {i};MARCA{i % 50};{precio}\n"
                )
        return ruta
    libro = xlsxwriter.Workbook(str(ruta), {"constant_memory": True})
    hoja = libro.add_worksheet("Lista")
    hoja.write_row(0, 0, ["LISTA DE PRECIOS SINTETICA"])
    hoja.write_row(2, 0, ["Código", "Descripción", "Marca", "Precio"])
    for i in range(filas):
        fila = [f"A{i:07d}", f"Articulo de ferreteria numero {i}", f"MARCA{i % 50}"]
        hoja.write_row(3 + i, 0, [*fila, round((100 + i * 0.37) * aumento, 2)])
    libro.close()
    return ruta


def medir_en_proceso(archivo: Path, cambiado: Path) -> dict:
    """Corre dentro de un proceso con DATABASE_URL y DATA_DIR propios."""
    sys.path.insert(0, str(RAIZ / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "core_config.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command
    from django.test import Client

    from importaciones import services
    from importaciones.models import Subida

    call_command("migrate", verbosity=0)
    cliente = Client()
    cliente.force_login(get_user_model().objects.create_user("bench", is_staff=True))
    resultado = {}
    for etapa, ruta in (("primera", archivo), ("cambiada", cambiado)):
        subida_archivo = SimpleUploadedFile(ruta.name, ruta.read_bytes())
        inicio = time.perf_counter()
        datos = {"archivo": subida_archivo}
        datos |= (
            {"proveedor": "1"}
            if etapa == "cambiada"
            else {"nuevo_nombre": "Bench", "nueva_abreviatura": "BEN"}
        )
        respuesta = cliente.post("/importaciones/", datos)
        subida_s = time.perf_counter() - inicio
        assert respuesta.status_code == 302, respuesta.content[:500]
        subida = Subida.objects.latest("pk")
        propuesta = services.vista_previa(subida)[0]
        services.confirmar_importacion(
            subida, {propuesta.hoja.nombre: propuesta.mapeo}, encolar=False
        )
        inicio = time.perf_counter()
        (resumen,) = services.procesar_pendientes()
        importacion_s = time.perf_counter() - inicio
        assert resumen["estado"] == "procesado", resumen
        resultado[etapa] = {
            "subida_s": round(subida_s, 3),
            "importacion_s": round(importacion_s, 2),
            "filas_por_s": round(resumen["filas_validas"] / importacion_s),
            "creados": resumen["creados"],
            "actualizados": resumen["actualizados"],
        }
    resultado["pico_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return resultado


def base_postgres_limpia(url: str) -> str:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conexion:
        conexion.execute("DROP DATABASE IF EXISTS tarifario_bench")
        conexion.execute("CREATE DATABASE tarifario_bench")
    return url.rsplit("/", 1)[0] + "/tarifario_bench"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--filas", type=int, default=100_000)
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432/test")
    parser.add_argument("--interno", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.interno:
        print(json.dumps(medir_en_proceso(Path(args.interno[0]), Path(args.interno[1]))))
        return

    datos = RAIZ / "bench-data"
    datos.mkdir(exist_ok=True)
    print(f"Máquina: {os.cpu_count()} núcleos. Filas: {args.filas:,}")
    for formato in ("xlsx", "csv"):
        original = datos / f"lista_{args.filas}.{formato}"
        cambiado = datos / f"lista_{args.filas}_cambiada.{formato}"
        if not original.exists():
            generar(original, args.filas)
            generar(cambiado, args.filas, aumento=1.1)
        for motor in ("sqlite", "postgresql"):
            with tempfile.TemporaryDirectory(prefix="tarifario-bench-") as directorio:
                url = (
                    f"sqlite:///{directorio}/bench.sqlite3"
                    if motor == "sqlite"
                    else base_postgres_limpia(args.postgres)
                )
                entorno = {
                    **os.environ,
                    "DATABASE_URL": url,
                    "DATA_DIR": directorio,
                    "DEBUG": "0",
                    "SECRET_KEY": "bench-" + "x" * 50,
                    "ALLOWED_HOSTS": "testserver",
                    "LOG_LEVEL": "WARNING",
                }
                salida = subprocess.run(
                    [sys.executable, __file__, "--interno", str(original), str(cambiado)],
                    env=entorno,
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout
                r = json.loads(salida.strip().splitlines()[-1])
                p, c = r["primera"], r["cambiada"]
                print(
                    f"{formato:4} {motor:10} subida {p['subida_s'] * 1000:6.0f} ms | "
                    f"importación {p['importacion_s']:6.2f} s = {p['filas_por_s']:>7,} filas/s "
                    f"({p['creados']:,} nuevos) | todos cambiados {c['importacion_s']:6.2f} s = "
                    f"{c['filas_por_s']:>7,} filas/s ({c['actualizados']:,} actualizados) | "
                    f"pico RSS {r['pico_rss_mb']} MB"
                )


if __name__ == "__main__":
    main()
