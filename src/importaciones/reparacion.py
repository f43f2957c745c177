"""Reparación de registros CSV partidos por una coma decimal sin comillas.

En un CSV separado por comas, un precio escrito `1234,56` sin comillas llega
como dos campos (`1234` y `56`): el registro trae un campo de más y todo lo que
está a su derecha queda corrido una columna. Se repara sólo cuando exactamente
una unión de dos campos vecinos da un número que encaja en su columna y deja el
resto del registro como las filas normales; si no, la fila se informa con su
motivo. Nunca se corren columnas en silencio.

No usa Django: corre dentro del lector aislado (`lector.py`).
"""

import re
from dataclasses import dataclass
from decimal import Decimal

from .lectores import letra_columna
from .normalizacion import SIN_PRECIO, ValorInvalido, parsear_numero

# Una columna es numérica si al menos el 90 % de sus valores no vacíos son números (tolera
# algún "consultar" o una nota) y son al menos 5, para que la proporción diga algo.
PROPORCION_NUMERICA = Decimal("0.9")
MINIMO_DE_NUMEROS = 5
# Ampliación del rango observado de una columna: [mínimo / f, máximo × f] con
# f = max(2, máximo / mínimo), la dispersión de la propia columna. Un factor fijo no sirve
# para las dos cosas: el IVA (10,5 a 21) no debe aceptar 56,21 (pide f < 2,7) y un precio
# puede valer muchas veces el mayor de las primeras filas (pide f grande). Una columna que
# varía poco (IVA, fechas) queda estrecha; una de precios de 15 a 3.000 acepta de 0,075 a 600.000.
AMPLIACION_MINIMA = Decimal(2)

# Las dos mitades de un número partido por su coma decimal: un entero (con signo, "$" o
# puntos de miles) y de 1 a 6 decimales. Sin espacio tras la coma: "3, 5" es una enumeración.
_PARTE_ENTERA = re.compile(r"\s*[-+]?(?:u\$s|\$)?\s*(?:[0-9]{1,3}(?:\.[0-9]{3})+|[0-9]+)", re.I)
_PARTE_DECIMAL = re.compile(r"[0-9]{1,6}")

MOTIVO_SIN_UNION = (
    "registro con un campo de más (una coma sin comillas) y no se puede saber dónde va"
)


@dataclass(frozen=True)
class _Columna:
    """Lo que muestran de una columna las filas normales de la hoja."""

    numerica: bool = False
    admite_vacio: bool = False
    bajo: Decimal = Decimal(0)
    alto: Decimal = Decimal(0)

    def admite_numero(self, numero: Decimal) -> bool:
        return self.numerica and self.bajo <= numero <= self.alto

    def admite_celda(self, valor: str) -> bool:
        """Un texto donde van números quiere decir que la unión quedó en otro lugar."""
        if not self.numerica:
            return True
        if _vacia(valor):
            return self.admite_vacio
        return _numero(valor) is not None


class ReparadorDeRegistros:
    """Se arma una vez por hoja con las primeras filas de datos, como las da csv.reader."""

    def __init__(self, primeras: list[list[str]], ancho: int) -> None:
        # ancho: los campos de un registro normal (el ancho más común de las filas no vacías).
        self.ancho = ancho
        normales = [fila for fila in primeras if len(fila) == ancho]
        self.columnas = [_perfilar([fila[i] for fila in normales]) for i in range(ancho)]

    def reparar(self, fila: list[str]) -> tuple[list[str], str]:
        """El registro reparado (`ancho` campos) y el detalle de qué se unió.

        Levanta ValorInvalido con el motivo si no hay exactamente una unión que encaje.
        Un registro que no es más largo que `ancho` no es asunto de esta clase: pasarlo es
        un error del que llama y levanta ValueError (no ValorInvalido, para que no se
        confunda con un descarte).
        """
        sobrantes = len(fila) - self.ancho
        if sobrantes < 1:
            raise ValueError(
                f"El registro tiene {len(fila)} campos y el normal {self.ancho}: no sobra ninguno."
            )
        if sobrantes > 1:
            raise ValorInvalido(
                f"registro con {sobrantes} campos de más (comas sin comillas): "
                "no se puede saber dónde van"
            )
        encajan = [j for j in range(len(fila) - 1) if self._encaja(fila, j)]
        if not encajan:
            raise ValorInvalido(MOTIVO_SIN_UNION)
        if len(encajan) > 1:
            raise ValorInvalido(f"{MOTIVO_SIN_UNION}: es ambiguo, {len(encajan)} uniones posibles")
        j = encajan[0]
        detalle = (
            f"se unieron «{fila[j]}» y «{fila[j + 1]}» en la columna {letra_columna(j)} "
            "(coma decimal sin comillas)"
        )
        return _unir(fila, j), detalle

    def _encaja(self, fila: list[str], j: int) -> bool:
        """Si unir fila[j] y fila[j + 1] da un número de la columna j y un registro normal."""
        izquierda, derecha = fila[j], fila[j + 1]
        if not (_PARTE_ENTERA.fullmatch(izquierda) and _PARTE_DECIMAL.fullmatch(derecha)):
            return False
        if not self.columnas[j].admite_numero(parsear_numero(f"{izquierda},{derecha}", ",")):
            return False
        registro = _unir(fila, j)
        return all(
            columna.admite_celda(valor)
            for i, (columna, valor) in enumerate(zip(self.columnas, registro, strict=True))
            if i != j
        )


def _unir(fila: list[str], j: int) -> list[str]:
    # El valor unido conserva la coma: quien llama lo lee con la convención de su columna.
    return [*fila[:j], f"{fila[j]},{fila[j + 1]}", *fila[j + 2 :]]


def _perfilar(valores: list[str]) -> _Columna:
    llenos = [valor for valor in valores if not _vacia(valor)]
    numeros = [numero for valor in llenos if (numero := _numero(valor)) is not None]
    admite_vacio = len(llenos) < len(valores)
    if len(numeros) < MINIMO_DE_NUMEROS or len(numeros) < PROPORCION_NUMERICA * len(llenos):
        return _Columna(admite_vacio=admite_vacio)
    bajo, alto = _rango_ampliado(numeros)
    return _Columna(numerica=True, admite_vacio=admite_vacio, bajo=bajo, alto=alto)


def _rango_ampliado(numeros: list[Decimal]) -> tuple[Decimal, Decimal]:
    """[mínimo / f, máximo × f] con f la dispersión de la columna (ver AMPLIACION_MINIMA)."""
    minimo, maximo = min(numeros), max(numeros)
    magnitudes = [abs(numero) for numero in numeros if numero]
    dispersion = max(magnitudes) / min(magnitudes) if magnitudes else AMPLIACION_MINIMA
    factor = max(AMPLIACION_MINIMA, dispersion)
    # Con ceros o negativos el extremo se aleja del cero igual (0 queda en 0).
    bajo = minimo / factor if minimo > 0 else minimo * factor
    alto = maximo * factor if maximo > 0 else maximo / factor
    return bajo, alto


def _vacia(valor: str) -> bool:
    # "s/p" o "consultar" en una columna de números ocupan el lugar de un número ausente.
    return valor.strip().lower() in SIN_PRECIO


def _numero(valor: str) -> Decimal | None:
    try:
        return parsear_numero(valor)
    except ValorInvalido:
        return None
