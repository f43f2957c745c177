"""Lector aislado: lee y normaliza una hoja de planilla en un proceso aparte.

Un archivo hostil puede tumbar al proceso que lo lee: con un XLSX de 4,6 KB
(celdas A1 y XFD1048576) calamine intenta reservar 512 GiB y aborta (SIGABRT),
sin excepción que atrapar. Por eso la lectura corre acá, en un proceso propio
con límites de memoria, CPU y tiempo: si muere, muere sólo él, y el worker
marca el archivo con un error claro.

No usa Django (arranca rápido): recibe el trabajo como JSON en la línea de
comandos, escribe el CSV normalizado y el de filas descartadas en las rutas
indicadas, e informa por la salida estándar con líneas `total N`, `avance N` y,
al final, `resultado {...}`.
"""

import csv
import io
import json
import resource
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import chain, islice
from typing import IO

from .campos import COLUMNAS_CSV
from .interpretacion import REPARADA, Interprete
from .lectores import Celda, ErrorPlanilla, filas_estimadas, iterar_filas
from .normalizacion import ValorInvalido, texto_de_celda

# Filas leídas antes de decidir la convención decimal de la columna de precio.
FILAS_PARA_CONVENCION = 2000
# Cada cuántas filas se informa el avance (el worker renueva ahí su reclamo): un UPDATE
# cada 2000 filas es menos del 1 % de la importación y mueve la barra a menudo.
FILAS_POR_AVANCE = 2000
# Más filas que esto no es una lista de precios (Excel llega a 1.048.576 por hoja).
MAXIMO_DE_FILAS = 1_100_000

Informar = Callable[[str, int], None]
_CODIGO = COLUMNAS_CSV.index("codigo")
_OBSERVACION = COLUMNAS_CSV.index("observacion")


@dataclass
class Lectura:
    leidas: int = 0
    validas: int = 0
    # Filas válidas sin código (identificadas por descripción) y registros reparados.
    por_descripcion: int = 0
    reparadas: int = 0
    motivos: Counter = field(default_factory=Counter)
    separador_detectado: str | None = None

    @property
    def descartadas(self) -> int:
        return sum(self.motivos.values())


def normalizar_hoja(
    origen: IO[bytes],
    formato: str,
    hoja: str,
    mapeo: dict,
    separador_guardado: str,
    destino: IO[bytes],
    destino_descartes: IO[bytes],
    informar: Informar,
) -> Lectura:
    """Escribe el CSV normalizado (COLUMNAS_CSV) y el de descartes (fila, motivo, celdas)."""
    fila_encabezado = int(mapeo["fila_encabezado"])
    lectura = Lectura()

    if estimadas := filas_estimadas(origen, formato, hoja):
        # El total a mostrar son las filas de datos: sin el banner ni el encabezado.
        informar("total", max(estimadas - fila_encabezado, 0))
    filas = iterar_filas(origen, formato, hoja)
    encabezado: list[Celda] = []
    datos = iter([])
    for numero, fila in filas:
        if numero == fila_encabezado:
            encabezado = fila
            datos = filas
            break
    if not encabezado:
        raise ErrorPlanilla(f"La hoja no llega a la fila de encabezado {fila_encabezado}.")
    primeras = list(islice(datos, FILAS_PARA_CONVENCION))
    interprete = Interprete(
        encabezado, [fila for _, fila in primeras], mapeo, formato, separador_guardado
    )
    lectura.separador_detectado = interprete.separador_detectado

    texto = io.TextIOWrapper(destino, encoding="utf-8", newline="")
    escritor = csv.writer(texto)
    escritor.writerow(COLUMNAS_CSV)
    texto_descartes = io.TextIOWrapper(destino_descartes, encoding="utf-8", newline="")
    descartes = csv.writer(texto_descartes)
    descartes.writerow(["fila", "motivo", *(texto_de_celda(c) for c in encabezado)])
    for numero, fila in chain(primeras, datos):
        if fila.count(None) + fila.count("") == len(fila):  # vacía (contado en C, sin bucle)
            continue
        lectura.leidas += 1
        if lectura.leidas % FILAS_POR_AVANCE == 0:
            informar("avance", lectura.leidas)
            if lectura.leidas > MAXIMO_DE_FILAS:
                raise ErrorPlanilla(
                    f"La hoja tiene más de {MAXIMO_DE_FILAS:,} filas con datos: "
                    "no parece una lista de precios.".replace(",", ".")
                )
        try:
            normalizada = interprete.interpretar(numero, fila)
        except ValorInvalido as motivo:
            lectura.motivos[str(motivo)] += 1
            descartes.writerow([numero, str(motivo), *(texto_de_celda(c) for c in fila)])
            continue
        escritor.writerow(normalizada)
        lectura.validas += 1
        if not normalizada[_CODIGO]:
            lectura.por_descripcion += 1
        if normalizada[_OBSERVACION] == REPARADA:
            lectura.reparadas += 1
    texto.flush()
    texto.detach()
    texto_descartes.flush()
    texto_descartes.detach()
    informar("avance", lectura.leidas)
    return lectura


def _limitar(memoria_mb: int, cpu_segundos: int) -> None:
    limite = memoria_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limite, limite))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_segundos, cpu_segundos))


def main(argumentos: list[str]) -> int:
    trabajo = json.loads(argumentos[1])
    _limitar(trabajo["memoria_mb"], trabajo["cpu_segundos"])

    def informar(clave: str, valor: int) -> None:
        print(clave, valor, flush=True)

    try:
        with (
            open(trabajo["origen"], "rb") as origen,
            open(trabajo["csv"], "wb") as destino,
            open(trabajo["descartes"], "wb") as destino_descartes,
        ):
            lectura = normalizar_hoja(
                origen,
                trabajo["formato"],
                trabajo["hoja"],
                trabajo["mapeo"],
                trabajo["separador_guardado"],
                destino,
                destino_descartes,
                informar,
            )
        resultado = {
            "leidas": lectura.leidas,
            "validas": lectura.validas,
            "por_descripcion": lectura.por_descripcion,
            "reparadas": lectura.reparadas,
            "motivos": dict(lectura.motivos),
            "separador": lectura.separador_detectado,
        }
    except ErrorPlanilla as error:
        resultado = {"error": str(error)}
    print("resultado", json.dumps(resultado, ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
