"""Sólo la lectura de una hoja XLSX: calamine contra el streaming propio, cada uno en su
proceso (pico de RSS del sistema operativo).

    .venv/bin/python bench/lectura.py bench-data/precios_1000000_ss.xlsx [hoja]
"""

import resource
import subprocess
import sys
import time

from comun import usar_src


def leer(lector: str, ruta: str, hoja: str) -> None:
    usar_src()
    from importaciones import lectores
    from importaciones.lectores import xlsx

    xlsx.UMBRAL_XLSX_STREAMING = 0 if lector == "streaming" else 1 << 62
    inicio = time.perf_counter()
    filas = 0
    with open(ruta, "rb") as archivo:
        for _numero, _fila in lectores.iterar_filas(archivo, "xlsx", hoja):
            filas += 1
    segundos = time.perf_counter() - inicio
    pico = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{lector:9} {filas:>9,} filas {segundos:6.2f} s = {filas / segundos:>9,.0f} filas/s | "
        f"pico RSS {pico:.0f} MB"
    )


def main() -> None:
    if sys.argv[1] == "--interno":
        leer(*sys.argv[2:5])
        return
    ruta, hoja = sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "Lista"
    for lector in ("calamine", "streaming"):
        subprocess.run([sys.executable, __file__, "--interno", lector, ruta, hoja], check=True)


if __name__ == "__main__":
    main()
