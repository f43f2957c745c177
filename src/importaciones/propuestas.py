"""Lo que la página de columnas propone para cada hoja de una planilla subida.

Por hoja: el mapeo (la configuración guardada del proveedor que reconoce el encabezado, o
la sugerencia), si se propone marcada (una copia de otra hoja no), las primeras filas tal
como se importarían y los códigos que dos hojas elegidas traen con distinto precio.
"""

from dataclasses import dataclass
from itertools import islice

from . import hojas as hojas_del_libro
from .interpretacion import FilaPrevia, Interprete, interpretar_filas
from .lectores import ErrorPlanilla, HojaPrevia, leer_vista_previa
from .models import ConfigImportacion, Subida
from .normalizacion import descripcion_normalizada
from .sugerencias import huella_encabezado, sugerir_mapeo


@dataclass
class HojaPropuesta:
    """Una hoja de la vista previa con el mapeo propuesto para importarla."""

    hoja: HojaPrevia
    mapeo: dict
    motivos: dict[str, str]
    origen: str  # "configuracion" o "sugerencia"
    completa: bool
    # La convención decimal que dejaron las listas anteriores (la usa el lector si ésta
    # no la deja clara): la vista previa interpretada tiene que usar la misma.
    separador_guardado: str = ""
    # Si la página la propone marcada: la elección guardada del proveedor o, si no hay, una
    # hoja completa que no parece copia de otra.
    importar: bool = False
    aviso: str = ""  # "parece una copia de «Reemplazable» con otros precios"


# Filas que se leen de cada hoja: ~20 filas de datos debajo de un encabezado que esté hasta
# la fila 40, lo más abajo que lo busca encabezado.detectar_fila_encabezado.
FILAS_VISTA_PREVIA = 60
# Filas de datos que la página de columnas muestra tal como se van a importar.
FILAS_INTERPRETADAS = 20


def vista_previa(subida: Subida) -> list[HojaPropuesta]:
    with subida.archivo.open("rb") as archivo:
        hojas = leer_vista_previa(archivo, subida.formato, max_filas=FILAS_VISTA_PREVIA)
    configuraciones = list(subida.proveedor.configuraciones.all())
    propuestas = []
    configs_de_cada_hoja = []
    for hoja in hojas:
        config = configuracion_para(hoja, configuraciones)
        configs_de_cada_hoja.append(config)
        if config:
            mapeo = config.mapeo()
            motivos = {
                campo: "configuración guardada"
                for campo, letra in mapeo["columnas"].items()
                if letra
            }
            if mapeo["sin_codigo"]:
                motivos["codigo"] = (
                    "configuración guardada: la lista no trae códigos, cada artículo se "
                    "identifica por su descripción"
                )
            columnas = mapeo["columnas"]
            completa = bool(
                columnas["descripcion"]
                and columnas["precio"]
                and (columnas["codigo"] or mapeo["sin_codigo"])
            )
            propuesta = HojaPropuesta(
                hoja, mapeo, motivos, "configuracion", completa, config.separador_decimal
            )
        else:
            sugerencia = sugerir_mapeo(hoja.filas)
            propuesta = HojaPropuesta(
                hoja, sugerencia.mapeo(), sugerencia.motivos, "sugerencia", sugerencia.completa
            )
        propuestas.append(propuesta)
    avisos = hojas_del_libro.copias(
        {p.hoja.nombre: muestra_de(p, subida.formato) for p in propuestas if p.completa}
    )
    for propuesta, config in zip(propuestas, configs_de_cada_hoja, strict=True):
        propuesta.aviso = avisos.get(propuesta.hoja.nombre, "")
        # La elección de la persona la última vez manda; si no hay, la copia no se marca.
        propuesta.importar = propuesta.completa and (
            config.importar if config else not propuesta.aviso
        )
    return propuestas


def muestra_de(propuesta: HojaPropuesta, formato: str) -> hojas_del_libro.Muestra:
    """Código → precio de las filas de la vista previa, como se importarían (la primera)."""
    try:
        filas = filas_interpretadas(
            propuesta.hoja,
            propuesta.mapeo,
            formato,
            propuesta.separador_guardado,
            cantidad=FILAS_VISTA_PREVIA,
        )
    except ErrorPlanilla:
        return {}
    muestra: hojas_del_libro.Muestra = {}
    for fila in filas:
        if fila.datos is not None:
            datos = fila.datos
            muestra.setdefault(
                datos["codigo_clave"],
                (datos["codigo"], datos["precio"], descripcion_normalizada(datos["descripcion"])),
            )
    return muestra


def conflictos_entre_hojas(
    subida: Subida, propuestas: list[HojaPropuesta], elecciones: dict[str, dict]
) -> list[hojas_del_libro.Conflicto]:
    """Los códigos que dos hojas elegidas traen con distinto precio (en la vista previa)."""
    if len(elecciones) < 2:
        return []
    por_nombre = {p.hoja.nombre: p for p in propuestas}
    muestras = {}
    for nombre, mapeo in elecciones.items():
        propuesta = por_nombre[nombre]
        elegida = HojaPropuesta(
            propuesta.hoja, mapeo, {}, propuesta.origen, True, propuesta.separador_guardado
        )
        muestras[nombre] = muestra_de(elegida, subida.formato)
    return hojas_del_libro.conflictos(muestras)


def filas_interpretadas(
    hoja: HojaPrevia,
    mapeo: dict,
    formato: str,
    separador_guardado: str = "",
    cantidad: int = FILAS_INTERPRETADAS,
) -> list[FilaPrevia]:
    """Las primeras `cantidad` filas no vacías debajo del encabezado, como las importará el
    lector (interpretacion.Interprete), las descartadas también, en el orden de la hoja.

    Sólo mira las filas de la vista previa: la convención decimal, el formato de la lista
    y la moneda se deciden con ellas (el lector usa hasta 2000). ErrorPlanilla si el
    encabezado queda fuera de la vista previa.
    """
    fila_encabezado = int(mapeo["fila_encabezado"])
    if fila_encabezado > len(hoja.filas):
        if len(hoja.filas) < FILAS_VISTA_PREVIA:
            raise ErrorPlanilla(
                f"La hoja termina en la fila {len(hoja.filas)}: no llega a la fila de "
                f"encabezado {fila_encabezado}."
            )
        raise ErrorPlanilla(
            f"La fila de encabezado está más abajo de las primeras {len(hoja.filas)} filas "
            "leídas: no se puede mostrar cómo quedan."
        )
    datos = hoja.filas[fila_encabezado:]
    interprete = Interprete(
        hoja.filas[fila_encabezado - 1], datos, mapeo, formato, separador_guardado
    )
    numeradas = enumerate(datos, start=fila_encabezado + 1)
    return list(islice(interpretar_filas(interprete, numeradas), cantidad))


def huella_de(hoja: HojaPrevia, fila_encabezado: int) -> str:
    if not 1 <= fila_encabezado <= len(hoja.filas):
        return ""
    return huella_encabezado(hoja.filas[fila_encabezado - 1])


def configuracion_para(
    hoja: HojaPrevia, configuraciones: list[ConfigImportacion]
) -> ConfigImportacion | None:
    """La configuración guardada que corresponde a esta hoja, si hay una.

    Gana la que reconoce el mismo encabezado (huella); una configuración sin
    huella (cargada a mano en el admin) se usa si se llama como la hoja. Si el
    formato cambió, no se aplica la vieja: leería columnas equivocadas.
    """
    # Una copia de la hoja del proveedor suele tener el mismo encabezado: primero la
    # configuración de la hoja con ese nombre, si reconoce el encabezado.
    reconocen = [
        c for c in configuraciones if c.huella and c.huella == huella_de(hoja, c.fila_encabezado)
    ]
    if reconocen:
        return min(reconocen, key=lambda c: c.nombre_config != hoja.nombre[:120])
    for config in configuraciones:
        if not config.huella and config.nombre_config == hoja.nombre:
            return config
    return None
