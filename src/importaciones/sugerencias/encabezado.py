"""La fila de encabezado de una hoja: dónde está y qué dice cada columna.

La fila de títulos puede estar debajo de un banner (logo, dirección, fecha) y
partida en dos o tres filas ("ARTÍ-" / "CULO", "CANT" / "X" / "CJ"). Las palabras
que reconocen cada campo están en `palabras.py`.
"""

import hashlib
import re

from ..campos import CAMPOS
from ..lectores import Celda
from ..normalizacion import ValorInvalido, parsear_numero
from .palabras import LARGO_MAXIMO_ENCABEZADO, normalizar_encabezado, puntaje

# El encabezado se busca en las primeras filas: más abajo ya son datos.
FILAS_A_EXPLORAR = 40
# Un encabezado partido ocupa a lo sumo 3 filas (FerriPlast: CANT / X / CJ).
FILAS_POR_ENCABEZADO = 3


def huella_encabezado(celdas: list[Celda]) -> str:
    """Identifica un formato de planilla por su encabezado, sin importar la hoja."""
    texto = "|".join(normalizar_encabezado(celda) for celda in celdas).rstrip("|")
    return hashlib.sha256(texto.encode()).hexdigest()[:32] if texto.strip("|") else ""


# Forma de algo que parsear_numero podría aceptar: signo, moneda, dígitos y separadores.
_FORMA_NUMERICA = re.compile(
    r"^[\s$€+\-]*(?:u\$s|us\$|u\$d|usd|eur|ars)?[\s$€+\-]*\d[\d\s.,]*[\s$€]*"
    r"(?:u\$s|us\$|u\$d|usd|eur|ars)?[\s$€]*$",
    re.I,
)


def es_numero(valor: Celda) -> bool:
    if isinstance(valor, bool) or valor in (None, ""):
        return False
    # Se corre por cada celda de cada fila: descartar un texto sin forma de número es
    # mucho más barato que dejar que parsear_numero levante la excepción.
    if isinstance(valor, str) and not _FORMA_NUMERICA.match(valor):
        return False
    try:
        parsear_numero(valor)
    except ValorInvalido:
        return False
    return True


def vacia(valor: Celda) -> bool:
    return valor is None or (isinstance(valor, str) and not valor.strip())


def es_fila_de_titulos(fila: list[Celda], numeros_permitidos: float = 0) -> bool:
    """Sólo textos cortos (a lo sumo esa proporción de números sueltos, como un 0.1)."""
    llenas = textos = 0
    for celda in fila:
        if vacia(celda):
            continue
        llenas += 1
        if (
            isinstance(celda, str)
            and len(celda.strip()) <= LARGO_MAXIMO_ENCABEZADO
            and not es_numero(celda)
        ):
            textos += 1
        elif not numeros_permitidos:
            return False  # una fila de datos: se sabe en la primera celda que no es título
    return bool(textos) and llenas - textos <= numeros_permitidos * llenas


def _continua_encabezado(fila: list[Celda], textos: list[str]) -> bool:
    """¿La fila completa los títulos de arriba? (y no es un título de sección suelto)."""
    if not es_fila_de_titulos(fila):
        return False
    llenas = [(i, str(c).strip()) for i, c in enumerate(fila) if not vacia(c)]
    if len(llenas) == 1 and len(llenas[0][1]) > 10:
        return False
    return any(i < len(textos) and textos[i] for i, _ in llenas)


def _unir(arriba: str, abajo: str) -> str:
    arriba, abajo = arriba.strip(), abajo.strip()
    if not arriba or not abajo:
        return arriba or abajo
    # "ARTÍ-" / "CULO" es una palabra cortada; "PRECIO" / "ACTUAL", dos palabras.
    return arriba[:-1] + abajo if arriba.endswith("-") else f"{arriba} {abajo}"


def encabezado_combinado(filas: list[list[Celda]], numero: int) -> tuple[list[str], int]:
    """Los títulos de cada columna desde la fila `numero` (1-based), y cuántas filas ocupan.

    Las filas siguientes se suman mientras sean sólo títulos cortos y completen
    columnas que ya tienen título arriba (un encabezado partido en 2 o 3 filas).
    """
    base = filas[numero - 1]
    textos = [str(c).strip() if isinstance(c, str) else "" for c in base]
    alto = 1
    for siguiente in filas[numero : numero + FILAS_POR_ENCABEZADO - 1]:
        if not _continua_encabezado(siguiente, textos):
            break
        textos.extend([""] * (len(siguiente) - len(textos)))
        for i, celda in enumerate(siguiente):
            if isinstance(celda, str) and celda.strip():
                # Una sangría larga es un título de sección, no parte del encabezado.
                if len(celda) - len(celda.lstrip()) >= 4:
                    continue
                textos[i] = _unir(textos[i], celda)
        alto += 1
    return textos, alto


def _campos_de_fila(textos: list[str]) -> set[str]:
    normalizados = [normalizar_encabezado(t) for t in textos]
    return {campo for campo in CAMPOS for texto in normalizados if puntaje(campo, texto) >= 5}


def _puntaje_fila(textos: list[str]) -> int:
    campos = _campos_de_fila(textos)
    return len(campos) + (2 if {"codigo", "precio"} <= campos else 0)


def detectar_fila_encabezado(filas: list[list[Celda]]) -> int:
    """La fila (1-based) cuyas celdas más se parecen a nombres de columna."""
    mejor_fila, mejor_puntaje = 1, (0, 0)
    for numero in range(1, min(len(filas), FILAS_A_EXPLORAR) + 1):
        fila = filas[numero - 1]
        if not es_fila_de_titulos(fila, numeros_permitidos=1 / 3):
            continue
        textos = [str(c) if isinstance(c, str) else "" for c in fila]
        # Con el mismo puntaje gana la fila que ya por sí sola es encabezado (no el
        # banner de arriba, que sólo suma porque se le pegan los títulos de abajo).
        puntaje = (_puntaje_fila(encabezado_combinado(filas, numero)[0]), _puntaje_fila(textos))
        if puntaje > mejor_puntaje:
            mejor_fila, mejor_puntaje = numero, puntaje
    return mejor_fila
