"""Cómo se lee cada fila de datos de una hoja: la misma regla al importar y en la vista previa.

El lector aislado pasa por acá cada fila de la hoja; la página de columnas, las primeras
filas de la vista previa. Así lo que una persona ve antes de confirmar es lo que se importa.

Ninguna fila se pierde sin motivo: una fila sin código en una lista que tiene columna de
código se identifica por su descripción, un precio en dólares se guarda con su moneda, y un
registro de CSV con un campo de más se repara sólo si hay una única forma de hacerlo.
"""

import contextlib
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from statistics import median

from precios.iva import IVA_POR_DEFECTO

from .campos import COLUMNAS_CSV
from .lectores import Celda, indice_columna
from .normalizacion import (
    LARGO_MAXIMO_CODIGO,
    MONEDA_POR_DEFECTO,
    ValorInvalido,
    clave_codigo,
    clave_por_descripcion,
    descripcion_normalizada,
    detectar_separador_decimal,
    limpiar_texto,
    moneda_del_precio,
    moneda_del_titulo,
    normalizar_codigo,
    normalizar_codigo_barras,
    parsear_bulto,
    parsear_iva,
    parsear_precio,
)
from .reparacion import ReparadorDeRegistros
from .sugerencias import FiltroDeFilas

# Lo que la columna `observacion` del CSV normalizado dice de una fila importada.
SIN_CODIGO = "sin_codigo"
REPARADA = "reparada"
# Una fila sin código cuya descripción es esto es un total, no un artículo.
_TOTALES = ("total", "subtotal", "total general", "totales")
# Un título de rubro con un número suelto en la columna del precio ("BAZAR" con 0,10, la
# marca de un descuento de sección): una sola palabra en mayúsculas, sin dígitos, y un
# precio menor que esta fracción de la mediana de la hoja.
_PALABRA_DE_TITULO = re.compile(r"^[A-ZÁÉÍÓÚÜÑ]{3,}$")
FRACCION_DE_TITULO = Decimal("0.01")


class Interprete:
    """Convierte las filas de datos de una hoja en filas del CSV normalizado (COLUMNAS_CSV).

    Se arma con el encabezado y las primeras filas de datos, que deciden la convención
    decimal, el formato de la lista y la moneda; `interpretar` da la fila normalizada o
    levanta ValorInvalido con el motivo del descarte.
    """

    def __init__(
        self,
        encabezado: list[Celda],
        primeras: list[list[Celda]],
        mapeo: dict,
        formato: str,
        separador_guardado: str = "",
    ) -> None:
        self.sin_codigo = bool(mapeo.get("sin_codigo"))
        self.columnas = {
            campo: indice_columna(letra)
            for campo, letra in mapeo["columnas"].items()
            if letra and not (campo == "codigo" and self.sin_codigo)
        }
        self.separador_detectado = detectar_separador_decimal(
            self._celda(fila, "precio") for fila in primeras
        )
        # Si esta lista no lo deja claro, vale la convención de las anteriores del proveedor.
        self.separador = self.separador_detectado or separador_guardado or None
        self.precio_de_titulo = self._precio_de_titulo(primeras)
        self.filtro = FiltroDeFilas(encabezado, self.columnas, primeras)
        indice_precio = self.columnas.get("precio")
        titulo_precio = (
            self.filtro.titulos[indice_precio]
            if indice_precio is not None and indice_precio < len(self.filtro.titulos)
            else ""
        )
        self.moneda_de_la_columna = moneda_del_titulo(titulo_precio) or MONEDA_POR_DEFECTO
        self._indices = tuple(
            self.columnas.get(campo)
            for campo in (
                "codigo",
                "descripcion",
                "precio",
                "bulto",
                "iva",
                "codigo_barras",
                "marca",
            )
        )
        self._ancho = max(self.columnas.values(), default=-1) + 1
        # Las columnas elegidas que no son el código: vacías todas, la fila es un título.
        self._otras = [indice for campo, indice in self.columnas.items() if campo != "codigo"]
        self.ancho_csv: int | None = None
        self.reparador: ReparadorDeRegistros | None = None
        if formato == "csv":
            anchos = Counter(
                len(fila) for fila in primeras if any(c not in (None, "") for c in fila)
            )
            if anchos:
                self.ancho_csv = max(anchos.most_common(1)[0][0], len(encabezado))
                self.reparador = ReparadorDeRegistros(primeras, self.ancho_csv)

    def _precio_de_titulo(self, primeras: list[list[Celda]]) -> Decimal:
        """Debajo de esto, un precio junto a una palabra suelta es la marca de un título."""
        precios = []
        for fila in primeras:
            with contextlib.suppress(ValorInvalido):
                precios.append(parsear_precio(self._celda(fila, "precio"), self.separador))
        return median(precios) * FRACCION_DE_TITULO if len(precios) >= 10 else Decimal(0)

    def _es_titulo_con_numero(
        self, codigo: str, descripcion: str, fila: list[Celda], i_precio: int
    ) -> bool:
        """Una palabra sola y el número, nada más en las columnas elegidas (un artículo
        barato trae marca, bulto o código de barras)."""
        palabra = codigo if not descripcion else descripcion if not codigo else ""
        if not _PALABRA_DE_TITULO.match(palabra):
            return False
        i_codigo, i_descripcion = self._indices[0], self._indices[1]
        resto = (i for i in self._otras if i not in (i_precio, i_descripcion, i_codigo))
        return all(fila[i] in (None, "") for i in resto)

    def _celda(self, fila: list[Celda], campo: str) -> Celda:
        indice = self.columnas.get(campo)
        return fila[indice] if indice is not None and indice < len(fila) else None

    def interpretar(self, numero: int, fila: list[Celda]) -> tuple:
        """La fila del CSV normalizado, o ValorInvalido con el motivo del descarte."""
        observacion = detalle = ""
        if self.ancho_csv is not None and len(fila) > self.ancho_csv:
            # Una coma sin comillas corrió las columnas: se repara o se descarta, nunca se
            # lee corrida.
            fila, detalle = self.reparador.reparar(fila)
            observacion = REPARADA
        # Corre por cada fila de la hoja: con la fila completada hasta la última columna
        # elegida, cada dato es un índice (sin una llamada por celda).
        if len(fila) < self._ancho:
            fila = fila + [None] * (self._ancho - len(fila))
        i_codigo, i_descripcion, i_precio, i_bulto, i_iva, i_barras, i_marca = self._indices
        valor_precio = fila[i_precio] if i_precio is not None else None
        # El precio primero: si es un número la fila no puede ser de títulos, y el filtro
        # se ahorra mirar celda por celda (era un tercio del tiempo del lector).
        try:
            precio = parsear_precio(valor_precio, self.separador)
        except ValorInvalido as error:
            precio = error
        if motivo := self.filtro.motivo(fila, con_numero=not isinstance(precio, ValorInvalido)):
            raise ValorInvalido(motivo)
        codigo = normalizar_codigo(fila[i_codigo]) if i_codigo is not None else ""
        if len(codigo) > LARGO_MAXIMO_CODIGO:
            raise ValorInvalido("código demasiado largo")
        descripcion = limpiar_texto(fila[i_descripcion], 500) if i_descripcion is not None else ""
        if codigo:
            clave = clave_codigo(codigo)
            if all(fila[i] in (None, "") for i in self._otras):
                raise ValorInvalido("título de rubro o total (sólo texto en la columna de código)")
        else:
            clave = clave_por_descripcion(descripcion)
            self._verificar_fila_sin_codigo(fila, descripcion, precio)
            if not self.sin_codigo and not observacion:
                observacion = SIN_CODIGO
        if isinstance(precio, ValorInvalido):
            raise precio
        if precio < self.precio_de_titulo and self._es_titulo_con_numero(
            codigo, descripcion, fila, i_precio
        ):
            raise ValorInvalido(
                "título de rubro (una palabra en mayúsculas con un precio muy por debajo del "
                "resto de la hoja)"
            )
        moneda = self.moneda_de_la_columna
        if type(valor_precio) is str and (marcada := moneda_del_precio(valor_precio)):
            moneda = marcada
        elif self.filtro.columna_moneda is not None:
            moneda = self.filtro.moneda(fila) or moneda
        return (
            numero,
            codigo,
            clave,
            descripcion,
            precio,
            moneda,
            parsear_bulto(fila[i_bulto]) if i_bulto is not None else 1,
            parsear_iva(fila[i_iva]) if i_iva is not None else IVA_POR_DEFECTO,
            normalizar_codigo_barras(fila[i_barras]) if i_barras is not None else "",
            limpiar_texto(fila[i_marca], 120) if i_marca is not None else "",
            observacion,
            detalle,
        )

    def _verificar_fila_sin_codigo(
        self, fila: list[Celda], descripcion: str, precio: object
    ) -> None:
        """Una fila sin código es un artículo si tiene descripción y precio, y no es un total."""
        if not descripcion:
            raise ValorInvalido("sin código ni descripción")
        if isinstance(precio, ValorInvalido):
            i_descripcion = self.columnas.get("descripcion")
            solo_texto = all(fila[i] in (None, "") for i in self._otras if i != i_descripcion)
            if solo_texto:
                raise ValorInvalido("título de rubro (sólo texto, sin código ni precio)")
            raise precio
        if descripcion_normalizada(descripcion).rstrip(":") in _TOTALES:
            raise ValorInvalido("fila de total")


@dataclass
class FilaPrevia:
    """Una fila de la vista previa: lo que se importará (COLUMNAS_CSV → valor), o por qué no."""

    numero: int
    datos: dict[str, object] | None
    motivo: str = ""


def interpretar_filas(
    interprete: Interprete, filas: Iterable[tuple[int, list[Celda]]]
) -> Iterator[FilaPrevia]:
    """Cada fila no vacía como se importará; marca los códigos repetidos (gana la primera)."""
    vistas: dict[str, int] = {}
    for numero, fila in filas:
        if all(celda in (None, "") for celda in fila):
            continue
        try:
            valores = interprete.interpretar(numero, fila)
        except ValorInvalido as motivo:
            yield FilaPrevia(numero, None, str(motivo))
            continue
        datos = dict(zip(COLUMNAS_CSV, valores, strict=True))
        primera = vistas.setdefault(datos["codigo_clave"], numero)
        repetido = "código repetido" if datos["codigo"] else "descripción repetida"
        motivo = f"{repetido}: queda la fila {primera}" if primera != numero else ""
        yield FilaPrevia(numero, datos, motivo)
