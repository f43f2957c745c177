"""`make bench`: mide la importación contra las alternativas, en SQLite y PostgreSQL.

Genera las listas (banner + encabezado + N filas; xlsx con textos compartidos, como
los guarda Excel, y csv con coma decimal) y por cada caso levanta un proceso nuevo
con una base vacía que sube el archivo por la vista web (mide la respuesta), confirma
el mapeo sugerido e importa con el mismo código que usa el worker; después importa
otra lista con todos los precios cambiados. En la misma corrida mide, sobre un
subconjunto del CSV, el importador fila a fila con el ORM y django-import-export
(bench/alternativas.py), y calcula las proporciones.

El pico de memoria es el RSS que informa el sistema operativo, no una estimación de
Python: la suma de Django y el lector mientras se importa (ver MonitorDeMemoria y
medir_proyecto). El del proceso de PostgreSQL que
atiende la conexión se informa aparte (VmHWM: incluye las páginas de shared_buffers
que tocó, que son memoria compartida del servidor).

    make bench                          # 1k, 100k y 1M filas (tarda)
    make bench FILAS=1000,10000         # corrida rápida
"""

import argparse
import gc
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from comun import DATOS, base_vacia, correr_interno, entorno_de_bench, maquina, preparar_django

CASOS_ALTERNATIVOS = ("fila_a_fila", "import_export")


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
    # Sin constant_memory xlsxwriter escribe una tabla de textos compartidos, como Excel
    # y LibreOffice (con constant_memory serían textos en línea).
    libro = xlsxwriter.Workbook(str(ruta))
    hoja = libro.add_worksheet("Lista")
    hoja.write_row(0, 0, ["LISTA DE PRECIOS SINTETICA"])
    hoja.write_row(2, 0, ["Código", "Descripción", "Marca", "Precio"])
    for i in range(filas):
        fila = [f"A{i:07d}", f"Articulo de ferreteria numero {i}", f"MARCA{i % 50}"]
        hoja.write_row(3 + i, 0, [*fila, round((100 + i * 0.37) * aumento, 2)])
    libro.close()
    return ruta


def pico_backend_postgres() -> dict:
    """El proceso de PostgreSQL de esta conexión: (pid, VmHWM en MB) si se puede leer."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return {}
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    try:
        estado = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return {}
    kb = next(int(linea.split()[1]) for linea in estado.splitlines() if linea.startswith("VmHWM"))
    return {"pico_backend_pg_mb": round(kb / 1024)}


def medir_proyecto(archivo: Path, cambiado: Path, solo_primera: bool) -> dict:
    preparar_django()
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection
    from django.test import Client

    from importaciones import propuestas, services
    from importaciones.models import Subida

    monitor = MonitorDeMemoria()
    monitor.start()
    picos_django: list[int] = []
    picos_juntos: list[int] = []
    cliente = Client()
    cliente.force_login(get_user_model().objects.create_user("bench", is_staff=True))
    resultado: dict = {}
    etapas = [("primera", archivo)] + ([] if solo_primera else [("cambiada", cambiado)])
    for etapa, ruta in etapas:
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
        del subida_archivo, datos
        subida = Subida.objects.latest("pk")
        propuesta = propuestas.vista_previa(subida)[0]
        services.confirmar_importacion(
            subida, {propuesta.hoja.nombre: propuesta.mapeo}, encolar=False
        )
        # La subida simulada de arriba (el cliente de pruebas arma el cuerpo entero en
        # memoria; Gunicorn lo pasa a disco por partes) no es de la importación: se olvida su
        # pico. "5" en clear_refs reinicia el VmHWM del proceso.
        gc.collect()
        Path("/proc/self/clear_refs").write_text("5")
        monitor.pico_suma_kb = 0
        seguimiento = CostoDelSeguimiento()
        inicio = time.perf_counter()
        with connection.execute_wrapper(seguimiento):
            (resumen,) = services.procesar_pendientes()
        segundos = time.perf_counter() - inicio
        picos_django.append(MonitorDeMemoria._campos(os.getpid()).get("VmHWM", 0))
        picos_juntos.append(monitor.pico_suma_kb)
        assert resumen["estado"] == "procesado", resumen
        resultado[etapa] = {
            "subida_s": round(subida_s, 3),
            "segundos": round(segundos, 2),
            "filas": resumen["filas_validas"],
            "filas_por_s": round(resumen["filas_validas"] / segundos),
            "creados": resumen["creados"],
            "actualizados": resumen["actualizados"],
            "seguimiento_s": round(seguimiento.segundos, 3),
            "seguimiento_sentencias": seguimiento.sentencias,
        }
    return (
        resultado
        | pico_backend_postgres()
        | monitor.resultado()
        | {
            "pico_importacion_django_mb": round(max(picos_django) / 1024),
            "pico_importacion_juntos_mb": round(max(picos_juntos) / 1024),
        }
    )


class CostoDelSeguimiento:
    """execute_wrapper que suma lo que cuestan el avance y la auditoría de una importación.

    Son las escrituras en el archivo (filas leídas, total, plazo del reclamo: una cada
    2000 filas) y en el registro de tareas del monitor; el resto es la importación.
    """

    TABLAS = ("importaciones_archivopendiente", "monitor_tareas_")

    def __init__(self) -> None:
        self.segundos = 0.0
        self.sentencias = 0

    def __call__(self, ejecutar, sql, params, many, context):
        if not any(tabla in sql for tabla in self.TABLAS):
            return ejecutar(sql, params, many, context)
        inicio = time.perf_counter()
        try:
            return ejecutar(sql, params, many, context)
        finally:
            self.segundos += time.perf_counter() - inicio
            self.sentencias += 1


class MonitorDeMemoria(threading.Thread):
    """Mide cada 20 ms el RSS de este proceso y de sus descendientes (el lector aislado).

    ru_maxrss no sirve para los hijos: en Linux un proceso hereda en exec el pico del
    padre al momento del fork. VmHWM de /proc sí es de cada proceso; la suma de VmRSS
    muestreada da el pico simultáneo de toda la importación.
    """

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.pico_suma_kb = 0
        self.picos_hijos_kb: dict[int, int] = {}
        self.seguir = True

    @staticmethod
    def _campos(pid: int) -> dict[str, int]:
        try:
            lineas = Path(f"/proc/{pid}/status").read_text().splitlines()
        except OSError:
            return {}
        return {
            linea.split(":")[0]: int(linea.split()[1])
            for linea in lineas
            if linea.startswith(("VmRSS", "VmHWM"))
        }

    @staticmethod
    def _descendientes(pid: int) -> list[int]:
        try:
            hijos = [int(h) for h in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
        except OSError:
            return []
        return hijos + [n for h in hijos for n in MonitorDeMemoria._descendientes(h)]

    def run(self) -> None:
        propio = os.getpid()
        while self.seguir:
            suma = self._campos(propio).get("VmRSS", 0)
            for hijo in self._descendientes(propio):
                campos = self._campos(hijo)
                suma += campos.get("VmRSS", 0)
                if campos.get("VmHWM", 0) > self.picos_hijos_kb.get(hijo, 0):
                    self.picos_hijos_kb[hijo] = campos["VmHWM"]
            self.pico_suma_kb = max(self.pico_suma_kb, suma)
            time.sleep(0.02)

    def resultado(self) -> dict:
        self.seguir = False
        self.join()
        return {
            "pico_django_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "pico_hijos_mb": round(max(self.picos_hijos_kb.values(), default=0) / 1024),
            "pico_simultaneo_mb": round(self.pico_suma_kb / 1024),
        }


def medir_alternativa(caso: str, archivo: Path, cambiado: Path, filas: int) -> dict:
    preparar_django()
    import alternativas

    from precios.models import PrecioDeLista
    from proveedores.models import Proveedor

    proveedor = Proveedor.objects.create(nombre="Bench", abreviatura="BEN")
    importar = getattr(alternativas, caso)
    resultado: dict = {}
    for etapa, ruta in (("primera", archivo), ("cambiada", cambiado)):
        datos = alternativas.leer_csv(ruta, filas)
        inicio = time.perf_counter()
        importar(proveedor, datos)
        segundos = time.perf_counter() - inicio
        resultado[etapa] = {
            "segundos": round(segundos, 2),
            "filas": len(datos),
            "filas_por_s": round(len(datos) / segundos),
        }
    assert PrecioDeLista.objects.filter(proveedor=proveedor).count() == filas
    return resultado | pico_backend_postgres()


def correr(caso: str, motor: str, original: Path, cambiado: Path, args) -> dict:
    """Un caso en un proceso nuevo con base vacía; agrega el pico de RSS del proceso."""
    with tempfile.TemporaryDirectory(prefix="tarifario-bench-") as directorio:
        url = base_vacia(motor, directorio, args.postgres, args.base)
        comando = [sys.executable, __file__, "--interno", caso, str(original), str(cambiado)]
        comando += ["--filas-alternativas", str(args.filas_alternativas)]
        comando += ["--solo-primera"] if args.solo_primera else []
        resultado, pico_rss_mb = correr_interno(
            comando,
            entorno_de_bench(url, directorio),
            directorio,
            f"{caso} {motor} {original.name}",
        )
    return resultado | {"pico_rss_mb": pico_rss_mb}


def archivos(filas: int, formato: str) -> tuple[Path, Path]:
    DATOS.mkdir(exist_ok=True)
    # "ss": textos compartidos; las versiones viejas de bench-data tenían textos en línea.
    original = DATOS / f"precios_{filas}_ss.{formato}"
    cambiado = DATOS / f"precios_{filas}_ss_cambiada.{formato}"
    if not cambiado.exists():
        # En otro proceso: xlsxwriter sin constant_memory ocupa ~900 MB con 1M de filas,
        # y un hijo creado después heredaría ese pico en su ru_maxrss.
        for ruta, aumento in ((original, 1.0), (cambiado, 1.1)):
            comando = [sys.executable, __file__, "--generar", str(ruta), str(filas), str(aumento)]
            subprocess.run(comando, check=True)
    return original, cambiado


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--filas", default="1000,100000,1000000", help="tamaños, con comas")
    parser.add_argument("--filas-alternativas", type=int, default=10_000)
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432/test")
    parser.add_argument("--base", default="tarifario_bench", help="base de PostgreSQL del bench")
    parser.add_argument("--motores", default="sqlite,postgresql")
    parser.add_argument("--formatos", default="xlsx,csv")
    parser.add_argument("--sin-alternativas", action="store_true")
    parser.add_argument(
        "--solo-primera", action="store_true", help="sin la segunda importación (precios cambiados)"
    )
    parser.add_argument("--json", type=Path, help="guarda todos los resultados acá")
    parser.add_argument("--interno", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--generar", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generar:
        generar(Path(args.generar[0]), int(args.generar[1]), float(args.generar[2]))
        return
    if args.interno:
        caso, original, cambiado = args.interno[0], Path(args.interno[1]), Path(args.interno[2])
        if caso == "proyecto":
            resultado = medir_proyecto(original, cambiado, args.solo_primera)
        else:
            resultado = medir_alternativa(caso, original, cambiado, args.filas_alternativas)
        print(json.dumps(resultado))
        return

    tamanos = [int(n) for n in args.filas.split(",")]
    motores = args.motores.split(",")
    print(f"Máquina: {maquina()}. Filas: {', '.join(f'{n:,}' for n in tamanos)}", flush=True)
    resultados: list[dict] = []
    for filas in tamanos:
        for formato in args.formatos.split(","):
            original, cambiado = archivos(filas, formato)
            for motor in motores:
                r = correr("proyecto", motor, original, cambiado, args)
                resultados.append({"caso": "proyecto", "formato": formato, "motor": motor} | r)
                p = r["primera"]
                c = r.get("cambiada", {"segundos": 0.0, "filas_por_s": 0})
                print(
                    f"{filas:>9,} {formato:4} {motor:10} subida {p['subida_s'] * 1000:5.0f} ms | "
                    f"importación {p['segundos']:6.2f} s = {p['filas_por_s']:>7,} filas/s | "
                    f"todos cambiados {c['segundos']:6.2f} s = {c['filas_por_s']:>7,} filas/s | "
                    f"avance y auditoría {p['seguimiento_s']:.2f} s "
                    f"({p['seguimiento_s'] / p['segundos']:.1%}, {p['seguimiento_sentencias']} "
                    "sentencias) | "
                    f"pico de la importación {r['pico_importacion_juntos_mb']} MB (Django "
                    f"{r['pico_importacion_django_mb']} + lector {r['pico_hijos_mb']})"
                    + (
                        f" (backend PG {r['pico_backend_pg_mb']} MB)"
                        if "pico_backend_pg_mb" in r
                        else ""
                    ),
                    flush=True,
                )
    if not args.sin_alternativas:
        n = min(args.filas_alternativas, max(tamanos))
        original, cambiado = archivos(max(tamanos), "csv")
        print(f"\nAlternativas, medidas con las primeras {n:,} filas del CSV:", flush=True)
        for caso in CASOS_ALTERNATIVOS:
            for motor in motores:
                args.filas_alternativas = n
                r = correr(caso, motor, original, cambiado, args)
                resultados.append({"caso": caso, "formato": "csv", "motor": motor} | r)
                p, c = r["primera"], r["cambiada"]
                minutos = [max(tamanos) / x["filas_por_s"] / 60 for x in (p, c)]
                print(
                    f"{caso:13} {motor:10} {n:,} filas: {p['filas_por_s']:>6,} / "
                    f"{c['filas_por_s']:>6,} filas/s (nuevas / cambiadas) | pico RSS "
                    f"{r['pico_rss_mb']} MB | extrapolado a {max(tamanos):,} filas: "
                    f"{minutos[0]:.1f} / {minutos[1]:.1f} min",
                    flush=True,
                )
        imprimir_proporciones(resultados, max(tamanos))
    if args.json:
        args.json.write_text(json.dumps(resultados, indent=2, ensure_ascii=False))


def imprimir_proporciones(resultados: list[dict], filas: int) -> None:
    print(
        f"\nProporciones (filas/s del importador con {filas:,} filas ÷ filas/s de la alternativa):"
    )
    proyecto = [
        r for r in resultados if r["caso"] == "proyecto" and r["primera"]["filas"] >= filas * 0.99
    ]
    for alternativa in (r for r in resultados if r["caso"] in CASOS_ALTERNATIVOS):
        for r in proyecto:
            if r["motor"] != alternativa["motor"]:
                continue
            proporciones = [
                f"{r[etapa]['filas_por_s'] / alternativa[etapa]['filas_por_s']:5.0f}×"
                if etapa in r
                else "    —"
                for etapa in ("primera", "cambiada")
            ]
            print(
                f"  {r['formato']:4} {r['motor']:10} vs {alternativa['caso']:13}: "
                f"{proporciones[0]} nuevas, {proporciones[1]} cambiadas",
                flush=True,
            )


if __name__ == "__main__":
    main()
