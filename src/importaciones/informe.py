"""El informe de un archivo importado: qué cambió contra la lista anterior y qué filas mirar.

Cada lista del informe (cambios, nuevos, repetidas, descartadas…) se define una sola vez en
LISTAS: título, columnas y una función que da sus filas como tuplas. Con eso se arman la
muestra del informe, la página con todas las filas y la descarga en XLSX.
"""

from collections.abc import Callable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass
from decimal import Decimal
from itertools import islice, zip_longest

from django.core.files.storage import default_storage
from django.db.models import (
    Case,
    CharField,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    Func,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Abs, NullIf

from precios.models import HistorialPrecio, Moneda, PrecioDeLista

from .carga import MARGEN_DE_SALTO, OTRO_ARTICULO, SALTOS_DE_ESCALA
from .exportacion import Hoja, fila_descartada, registros_de_descartes
from .models import ArchivoPendiente, CambioRetenido, FilaObservada

# Tramos del histograma de variaciones (en %): (desde, hasta, etiqueta).
TRAMOS = (
    (None, -50, "< −50 %"),
    (-50, -20, "−50 a −20"),
    (-20, -5, "−20 a −5"),
    (-5, 0, "−5 a 0"),
    (0, 5, "0 a 5"),
    (5, 10, "5 a 10"),
    (10, 20, "10 a 20"),
    (20, 50, "20 a 50"),
    (50, None, "> 50 %"),
)
MOSTRAR = 100
SIMBOLOS = dict(Moneda.choices)


@dataclass
class Barra:
    etiqueta: str
    cantidad: int
    alto: float  # 0–100, para el gráfico

    @property
    def y(self) -> float:
        # El SVG crece hacia abajo: la barra arranca en 100 − alto.
        return 100 - self.alto


def etiqueta_de_salto(factor: Decimal | int) -> str:
    """×10, ×100, ×1000 o ÷10, ÷100, ÷1000."""
    if factor >= 1:
        return f"×{factor:.0f}"
    return f"÷{1 / Decimal(factor):.0f}"


class DivisorReal(Func):
    """El divisor tal cual en PostgreSQL (numeric ÷ numeric es exacto); REAL en SQLite.

    SQLite guarda un DecimalField entero ("25001.000000") como INTEGER y entre dos enteros
    la división trunca: 2500 × 100 ÷ 25001 daba 9 y el informe mostraba "9,0 %" por un
    +9,9996 % (y "0,0 %" por un −0,3 %, en el tramo equivocado del histograma).
    """

    arity = 1
    template = "%(expressions)s"

    def as_sqlite(self, compiler, connection, **extra_context) -> tuple[str, list]:
        return self.as_sql(
            compiler, connection, template="CAST(%(expressions)s AS REAL)", **extra_context
        )


def _variacion() -> ExpressionWrapper:
    # Un precio anterior de 0 no tiene variación (NULL), en vez de dividir por cero.
    return ExpressionWrapper(
        (F("precio_nuevo") - F("precio_anterior"))
        * 100
        / DivisorReal(NullIf(F("precio_anterior"), 0)),
        output_field=DecimalField(max_digits=30, decimal_places=6),
    )


def _salto() -> Case:
    """El factor de escala al que se parece el cambio ("×10", "÷100"…), o ""."""
    desde, hasta = MARGEN_DE_SALTO
    return Case(
        *(
            When(
                precio_anterior__gt=0,
                precio_nuevo__gte=F("precio_anterior") * (factor * desde),
                precio_nuevo__lte=F("precio_anterior") * (factor * hasta),
                then=Value(etiqueta_de_salto(factor)),
            )
            for factor in SALTOS_DE_ESCALA
        ),
        default=Value(""),
        output_field=CharField(),
    )


def cambios(archivo: ArchivoPendiente) -> QuerySet:
    return (
        HistorialPrecio.objects.filter(archivo=archivo)
        .select_related("precio_lista")
        .annotate(variacion_pct=_variacion(), salto=_salto())
    )


def retenidos(archivo: ArchivoPendiente) -> QuerySet:
    """Los cambios sospechosos que esperan a una persona, los más grandes primero."""
    return (
        CambioRetenido.objects.filter(archivo=archivo, estado=CambioRetenido.Estado.RETENIDO)
        .select_related("precio_lista")
        .annotate(variacion_pct=_variacion(), salto=_salto())
        .order_by(Abs("variacion_pct").desc(nulls_last=True), "id")
    )


def histograma(archivo: ArchivoPendiente) -> list[Barra]:
    """Cuántos precios cambiaron en cada tramo de variación (una sola consulta)."""
    conteos = {}
    for indice, (desde, hasta, _etiqueta) in enumerate(TRAMOS):
        condicion = Q()
        if desde is not None:
            condicion &= Q(variacion_pct__gte=desde)
        if hasta is not None:
            condicion &= Q(variacion_pct__lt=hasta)
        conteos[f"t{indice}"] = Count("id", filter=condicion)
    resultado = cambios(archivo).aggregate(**conteos)
    maximo = max(resultado.values(), default=0) or 1
    return [
        Barra(etiqueta, resultado[f"t{i}"], resultado[f"t{i}"] * 100 / maximo)
        for i, (_desde, _hasta, etiqueta) in enumerate(TRAMOS)
    ]


def nuevos(archivo: ArchivoPendiente) -> QuerySet:
    if not archivo.aplicado_en:
        return PrecioDeLista.objects.none()
    return PrecioDeLista.objects.filter(
        proveedor=archivo.proveedor_id, creado_en=archivo.aplicado_en
    ).order_by("codigo_clave", "id")


# --- Las listas del informe -----------------------------------------------------------

# Tipos de columna: cómo se muestra cada valor de la tupla.
FILA = "fila"  # número de fila de la planilla
TEXTO = "texto"
CODIGO = "codigo"  # enlaza a la ficha del precio; vacío es "sin código"
PRECIO = "precio"  # con el símbolo de la moneda de la fila
MONEDA = "moneda"  # código ISO: columna propia en el XLSX, símbolo del precio en la página
VARIACION = "variacion"
ESCALA = "escala"
DETALLE = "detalle"
ID_PRECIO = "id_precio"  # sólo para el enlace: no se muestra ni se exporta
ELEGIR = "elegir"  # casilla para elegir la fila (cambios retenidos); no se exporta


@dataclass(frozen=True)
class Columna:
    titulo: str
    tipo: str = TEXTO

    @property
    def en_html(self) -> bool:
        return self.tipo not in (MONEDA, ID_PRECIO)

    @property
    def en_xlsx(self) -> bool:
        return self.tipo not in (ID_PRECIO, ELEGIR)

    @property
    def numerica(self) -> bool:
        return self.tipo in (FILA, PRECIO, VARIACION)


@dataclass(frozen=True)
class Celda:
    tipo: str
    valor: object
    simbolo: str = ""
    precio_id: int | None = None

    @property
    def otro_articulo(self) -> bool:
        return self.tipo == DETALLE and OTRO_ARTICULO in str(self.valor or "")


@dataclass(frozen=True)
class Lista:
    nombre: str
    titulo: str
    hoja: str  # nombre de la hoja del XLSX (Excel acepta hasta 31 caracteres)
    columnas: tuple[Columna, ...]
    filas: Callable[[ArchivoPendiente], Sequence[tuple]]
    # Contador de ArchivoPendiente: en 0, el informe ni consulta la lista.
    contador: str
    # Columnas que dependen del archivo (las del encabezado original, en las descartadas).
    encabezado_extra: Callable[[ArchivoPendiente], list[str]] | None = None
    # Columnas que quedan a la vista al desplazarse por el XLSX.
    columnas_fijas: int = 0

    def columnas_de(self, archivo: ArchivoPendiente) -> tuple[Columna, ...]:
        if self.encabezado_extra is None:
            return self.columnas
        return (*self.columnas, *(Columna(titulo) for titulo in self.encabezado_extra(archivo)))


class FilasDescartadas:
    """Las filas del CSV de descartes como una secuencia que Paginator puede cortar: cada
    corte lee el archivo hasta donde hace falta, nunca entero en memoria."""

    def __init__(self, ruta: str, cantidad: int) -> None:
        self.ruta = ruta
        # La lectura escribe un registro por fila descartada: contarlas sería leer todo.
        self.cantidad = cantidad

    def __len__(self) -> int:
        return self.cantidad

    def __iter__(self) -> Iterator[tuple]:
        # closing: el lector de registros se cierra antes que el archivo, aunque el corte
        # deje de leer a mitad de camino.
        with (
            default_storage.open(self.ruta, "rb") as crudo,
            closing(registros_de_descartes(crudo)) as registros,
        ):
            next(registros, None)  # el encabezado
            yield from map(fila_descartada, registros)

    def __getitem__(self, corte: slice) -> list[tuple]:
        with closing(iter(self)) as filas:
            return list(islice(filas, corte.start, corte.stop))


def _filas_cambios(archivo: ArchivoPendiente) -> QuerySet:
    return (
        cambios(archivo).order_by("precio_lista__codigo_clave", "id").values_list(*_VALORES_CAMBIO)
    )


def _filas_retenidos(archivo: ArchivoPendiente) -> QuerySet:
    return retenidos(archivo).values_list(*_VALORES_CAMBIO, "id")


_VALORES_CAMBIO = (
    "precio_lista__codigo",
    "precio_lista__descripcion",
    "precio_anterior",
    "precio_nuevo",
    "precio_lista__moneda",
    "variacion_pct",
    "salto",
    "precio_lista_id",
)
_COLUMNAS_CAMBIO = (
    Columna("Código", CODIGO),
    Columna("Descripción"),
    Columna("Antes", PRECIO),
    Columna("Ahora", PRECIO),
    Columna("Moneda", MONEDA),
    Columna("Variación %", VARIACION),
    Columna("Escala", ESCALA),
    Columna("", ID_PRECIO),
)


def _filas_nuevos(archivo: ArchivoPendiente) -> QuerySet:
    return nuevos(archivo).values_list("codigo", "descripcion", "precio", "moneda", "id")


def _observadas(archivo: ArchivoPendiente, tipo: str) -> QuerySet:
    # En el orden de la planilla (el del índice archivo, tipo, fila). Los faltantes no
    # tienen fila: van por código, como la muestra de los archivos viejos.
    orden = ("codigo", "id") if tipo == FilaObservada.Tipo.FALTANTE else ("fila", "id")
    return archivo.observaciones.filter(tipo=tipo).order_by(*orden)


def _filas_observadas(tipo: str) -> Callable[[ArchivoPendiente], QuerySet]:
    def filas(archivo: ArchivoPendiente) -> QuerySet:
        return _observadas(archivo, tipo).values_list(
            "fila", "codigo", "descripcion", "precio", "moneda", "detalle", "precio_lista_id"
        )

    return filas


_COLUMNAS_OBSERVADA = (
    Columna("Fila", FILA),
    Columna("Código", CODIGO),
    Columna("Descripción"),
    Columna("Precio", PRECIO),
    Columna("Moneda", MONEDA),
    Columna("Detalle", DETALLE),
    Columna("", ID_PRECIO),
)


def _filas_faltantes(archivo: ArchivoPendiente) -> Sequence[tuple]:
    observadas = _observadas(archivo, FilaObservada.Tipo.FALTANTE).values_list(
        "codigo", "descripcion", "precio", "moneda", "precio_lista_id"
    )
    if archivo.faltantes_muestra and not observadas.exists():
        # Importado antes de que la carga guardara los faltantes: queda la muestra de códigos.
        return [(codigo, "", None, "", None) for codigo in archivo.faltantes_muestra]
    return observadas


def _filas_descartadas(archivo: ArchivoPendiente) -> Sequence[tuple]:
    if not archivo.ruta_descartes:
        return []
    return FilasDescartadas(archivo.ruta_descartes, archivo.filas_descartadas)


def _encabezado_descartadas(archivo: ArchivoPendiente) -> list[str]:
    if not archivo.ruta_descartes:
        return []
    with (
        default_storage.open(archivo.ruta_descartes, "rb") as crudo,
        closing(registros_de_descartes(crudo)) as registros,
    ):
        return next(registros, [])[2:]


_TIPO = FilaObservada.Tipo
LISTAS: dict[str, Lista] = {
    lista.nombre: lista
    for lista in (
        Lista(
            "retenidos",
            "Cambios retenidos: no se aplicaron",
            "Cambios retenidos",
            (*_COLUMNAS_CAMBIO, Columna("Elegir", ELEGIR)),
            _filas_retenidos,
            "sospechosos",
        ),
        Lista(
            "cambios",
            "Precios que cambiaron",
            "Precios que cambiaron",
            _COLUMNAS_CAMBIO,
            _filas_cambios,
            "actualizados",
        ),
        Lista(
            "nuevos",
            "Artículos nuevos",
            "Artículos nuevos",
            (
                Columna("Código", CODIGO),
                Columna("Descripción"),
                Columna("Precio", PRECIO),
                Columna("Moneda", MONEDA),
                Columna("", ID_PRECIO),
            ),
            _filas_nuevos,
            "creados",
        ),
        Lista(
            "faltantes",
            "Ya no están en esta lista",
            "Ya no están",
            (
                Columna("Código", CODIGO),
                Columna("Descripción"),
                Columna("Último precio", PRECIO),
                Columna("Moneda", MONEDA),
                Columna("", ID_PRECIO),
            ),
            _filas_faltantes,
            "faltantes",
        ),
        Lista(
            "repetidas",
            "Códigos repetidos: quedó la primera fila de cada uno",
            "Códigos repetidos",
            _COLUMNAS_OBSERVADA,
            _filas_observadas(_TIPO.REPETIDA),
            "codigos_repetidos",
        ),
        Lista(
            "sin_codigo",
            "Sin código: se identificó por descripción",
            "Sin código",
            _COLUMNAS_OBSERVADA,
            _filas_observadas(_TIPO.SIN_CODIGO),
            "por_descripcion",
        ),
        Lista(
            "reparadas",
            "Filas reparadas: traían un campo de más",
            "Filas reparadas",
            _COLUMNAS_OBSERVADA,
            _filas_observadas(_TIPO.REPARADA),
            "filas_reparadas",
        ),
        Lista(
            "descartadas",
            "Filas descartadas",
            "Filas descartadas",
            (Columna("Fila", FILA), Columna("Motivo")),
            _filas_descartadas,
            "filas_descartadas",
            encabezado_extra=_encabezado_descartadas,
            columnas_fijas=2,
        ),
    )
}

# La descarga de "lo que no se importó": las descartadas y las repetidas, una hoja cada una.
DESCARTES = ("descartadas", "repetidas")


@dataclass(frozen=True)
class Tabla:
    """Filas de una lista listas para la página: sólo las columnas que se ven."""

    lista: Lista
    columnas: list[Columna]
    filas: list[list[Celda]]
    cantidad: int  # de la lista entera

    @property
    def hay_mas(self) -> bool:
        return self.cantidad > len(self.filas)


def _celdas(columnas: Sequence[Columna], fila: Sequence[object]) -> list[Celda]:
    # Una fila descartada puede traer más celdas que su encabezado (o menos): se muestran
    # las del encabezado; el XLSX las lleva todas.
    pares = list(zip_longest(columnas, fila[: len(columnas)]))
    moneda = next((valor for columna, valor in pares if columna.tipo == MONEDA), None)
    precio_id = next((valor for columna, valor in pares if columna.tipo == ID_PRECIO), None)
    simbolo = SIMBOLOS.get(moneda, moneda or "")
    return [
        Celda(columna.tipo, valor, simbolo, precio_id)
        for columna, valor in pares
        if columna.en_html
    ]


def tabla(lista: Lista, archivo: ArchivoPendiente, filas: Sequence[tuple], cantidad: int) -> Tabla:
    columnas = lista.columnas_de(archivo)
    return Tabla(
        lista,
        [columna for columna in columnas if columna.en_html],
        [_celdas(columnas, fila) for fila in filas],
        cantidad,
    )


def muestra(lista: Lista, archivo: ArchivoPendiente) -> Tabla | None:
    """Las primeras MOSTRAR filas de la lista para el informe, o None si está vacía."""
    if not getattr(archivo, lista.contador):
        return None
    filas = lista.filas(archivo)
    cantidad = filas.count() if isinstance(filas, QuerySet) else len(filas)
    if not cantidad:
        return None
    return tabla(lista, archivo, filas[:MOSTRAR], cantidad)


def hoja(lista: Lista, archivo: ArchivoPendiente, nombre: str | None = None) -> Hoja:
    """La lista entera como hoja de XLSX, leída de a tandas (sin el id del enlace)."""
    columnas = lista.columnas_de(archivo)
    ocultas = {i for i, columna in enumerate(columnas) if not columna.en_xlsx}
    filas = lista.filas(archivo)
    if isinstance(filas, QuerySet):
        filas = filas.iterator(chunk_size=2000)
    return Hoja(
        nombre or lista.hoja,
        [columna.titulo for i, columna in enumerate(columnas) if i not in ocultas],
        (tuple(v for i, v in enumerate(fila) if i not in ocultas) for fila in filas),
        lista.columnas_fijas,
    )


def repetidas_con_otro_articulo(archivo: ArchivoPendiente) -> int:
    if not archivo.codigos_repetidos:
        return 0
    return _observadas(archivo, _TIPO.REPETIDA).filter(detalle__contains=OTRO_ARTICULO).count()
