"""Qué filas de datos no son artículos, al leer la lista entera."""

from collections import Counter

from ..campos import CAMPOS
from ..lectores import Celda
from ..normalizacion import moneda_de_palabra, normalizar_codigo
from .encabezado import encabezado_combinado, es_fila_de_titulos, es_numero, vacia
from .palabras import OTRAS_MONEDAS, OTRAS_PALABRAS_DE_ENCABEZADO, normalizar_encabezado, puntaje


class FiltroDeFilas:
    """Decide qué filas de datos no son artículos y por qué (el motivo se cuenta por archivo).

    - Sub-encabezados repetidos con el mismo formato: se saltean y la lista sigue.
    - Una fila de títulos con otro formato (otra tabla debajo, exhibidores,
      totales): se saltean ella y las filas siguientes hasta que vuelva el
      encabezado de la lista.
    - En una columna de códigos que casi siempre tienen números, un "código"
      sin ningún dígito es un título, un total, una nota ("Mínimo de compra:") o
      una fila de otro formato pegada debajo (la lista vieja de FerriPlast, con
      "UNIDAD" o "ROLLO" donde iba el código).
    - Una columna de moneda por fila: dice en qué moneda está el precio de cada fila.
    """

    def __init__(
        self,
        encabezado: list[Celda],
        columnas: dict[str, int],
        primeras: list[list[Celda]],
    ) -> None:
        # Las filas que completan un encabezado partido ("ARTÍ-" / "CULO") son encabezado.
        textos, alto = encabezado_combinado([list(encabezado), *primeras[:2]], 1)
        self.continuacion = alto - 1
        self.titulos = textos
        self.encabezado = [normalizar_encabezado(c) for c in textos]
        self.columnas = columnas
        self.en_otra_tabla = False
        indice_codigo = columnas.get("codigo")
        self.titulo_codigo = (
            self.encabezado[indice_codigo]
            if indice_codigo is not None and indice_codigo < len(self.encabezado)
            else ""
        )
        # Sólo las filas con código y precio numérico: los títulos de sección sueltos no votan.
        indice_precio = columnas.get("precio")
        articulos = [
            fila
            for fila in primeras
            if indice_codigo is not None
            and indice_precio is not None
            and max(indice_codigo, indice_precio) < len(fila)
            and es_numero(fila[indice_precio])
            and normalizar_codigo(fila[indice_codigo])
        ]
        codigos = [normalizar_codigo(fila[indice_codigo]) for fila in articulos]
        con_digitos = sum(any(ch.isdigit() for ch in c) for c in codigos)
        self.codigos_numericos = len(codigos) >= 20 and con_digitos >= 0.8 * len(codigos)
        # Columnas que los artículos dejan siempre vacías: llenarlas es otro formato.
        ancho = max((len(fila) for fila in articulos), default=0)
        self.columnas_vacias = {
            i for i in range(ancho) if all(i >= len(f) or vacia(f[i]) for f in articulos)
        }
        self.columna_moneda = self._columna_moneda(primeras)

    def _columna_moneda(self, primeras: list[list[Celda]]) -> int | None:
        conteo: Counter[int] = Counter()
        for fila in primeras:
            for i, celda in enumerate(fila):
                if isinstance(celda, str) and _es_moneda(celda):
                    conteo[i] += 1
        if not conteo:
            return None
        indice, cantidad = conteo.most_common(1)[0]
        return indice if cantidad >= 0.5 * len(primeras) else None

    def motivo(self, fila: list[Celda], con_numero: bool = False) -> str | None:
        """Por qué la fila no es un artículo, o None. `con_numero`: ya se sabe que tiene un
        número (el precio), así que no es una fila de títulos."""
        if self.continuacion:
            self.continuacion -= 1
            return "encabezado (continuación)"
        if not con_numero and es_fila_de_titulos(fila) and self._parece_encabezado(fila):
            if self._mismo_formato(fila):
                self.en_otra_tabla = False
                return "encabezado repetido"
            self.en_otra_tabla = True
            return "tabla con otro formato (otros títulos de columna)"
        if self.en_otra_tabla:
            return "tabla con otro formato (otros títulos de columna)"
        indice = self.columnas.get("codigo")
        if self.codigos_numericos and indice is not None and indice < len(fila):
            codigo = normalizar_codigo(fila[indice])
            # Un código sin dígitos puede ser legítimo (TONELADAPULPA); con espacios o
            # ":" es un título o una nota, y en columnas que la lista deja vacías, otro formato.
            if (
                codigo
                and not any(ch.isdigit() for ch in codigo)
                and (
                    " " in codigo
                    or ":" in codigo
                    or any(not vacia(c) and i in self.columnas_vacias for i, c in enumerate(fila))
                )
            ):
                return "código sin números (título, total, nota o fila de otro formato)"
        return None

    def moneda(self, fila: list[Celda]) -> str | None:
        """La moneda de la fila según la columna de moneda de la lista, si tiene una."""
        if self.columna_moneda is None or self.columna_moneda >= len(fila):
            return None
        valor = fila[self.columna_moneda]
        return moneda_de_palabra(valor) if isinstance(valor, str) else None

    def _celda(self, fila: list[Celda], campo: str) -> str:
        indice = self.columnas.get(campo)
        if indice is None or indice >= len(fila):
            return ""
        return normalizar_encabezado(fila[indice])

    def _parece_encabezado(self, fila: list[Celda]) -> bool:
        llenas = [normalizar_encabezado(c) for c in fila if not vacia(c)]
        if len(llenas) < 2:
            return False
        if self.titulo_codigo and self._celda(fila, "codigo") == self.titulo_codigo:
            return True
        if puntaje("precio", self._celda(fila, "precio")) >= 5:
            return True
        palabras = sum(
            1
            for texto in llenas
            if any(puntaje(campo, texto) >= 5 for campo in CAMPOS)
            or texto in OTRAS_PALABRAS_DE_ENCABEZADO
        )
        return palabras >= 2

    def _mismo_formato(self, fila: list[Celda]) -> bool:
        if not self.titulo_codigo or self._celda(fila, "codigo") != self.titulo_codigo:
            return False
        # Títulos en columnas que el encabezado de la lista deja vacías: es otra tabla.
        return all(
            vacia(celda) or (i < len(self.encabezado) and self.encabezado[i])
            for i, celda in enumerate(fila)
        )


def _es_moneda(texto: str) -> bool:
    return bool(moneda_de_palabra(texto)) or texto.strip().lower() in OTRAS_MONEDAS
