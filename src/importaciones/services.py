"""Los flujos de la importación: subir, sugerir, confirmar, reclamar y procesar.

La web, la tarea de Celery y los comandos llaman a estas funciones: hay una
sola implementación de cada flujo.
"""

import errno
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from itertools import islice
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import F
from django.utils import timezone
from kombu.exceptions import OperationalError as ErrorBroker

from proveedores.models import Proveedor

from . import hojas as hojas_del_libro
from .carga import SaltoDeEscala, cargar_precios
from .interpretacion import FilaPrevia, Interprete, interpretar_filas
from .lector import Lectura
from .models import ArchivoPendiente, ConfigImportacion, Subida
from .normalizacion import descripcion_normalizada
from .planillas import ErrorPlanilla, HojaPrevia, detectar_formato, leer_vista_previa
from .sugerencias import huella_encabezado, sugerir_mapeo
from .verificacion import verificar_contenedor

logger = logging.getLogger(__name__)

ESTADO = ArchivoPendiente.Estado
# Se llama con el archivo y las filas leídas hasta ahora (la barra de la línea de comandos).
AlAvanzar = Callable[[ArchivoPendiente, int], None]


DISCO_DE_LA_BASE_LLENO = (
    "El disco de la base de datos está lleno: no se aplicó ningún precio de esta lista (la "
    "tabla quedó como estaba). Avisale a quien administra Tarifario para que libere espacio "
    "y después reintentala desde el monitor de tareas."
)


# Cuánto insiste un worker en devolver a pendiente un archivo cuando la base se cayó.
REPROGRAMAR_SEGUNDOS = 15


class ReclamoPerdido(Exception):
    """Otro worker tomó el archivo (venció el plazo): este no debe confirmar nada."""


# --- Subida y vista previa --------------------------------------------------------


def registrar_subida(
    proveedor: Proveedor, archivo: File, nombre_original: str, usuario=None
) -> Subida:
    """Guarda la planilla en el storage bajo un nombre generado; no la lee entera."""
    formato = detectar_formato(archivo)
    verificar_contenedor(archivo, formato)
    subida = Subida(
        proveedor=proveedor,
        nombre_original=nombre_original[:255],
        formato=formato,
        tamano=archivo.size,
        subido_por=usuario,
    )
    # El nombre se genera antes de escribir para poder borrar lo escrito si el disco se llena.
    nombre = subida.archivo.field.generate_filename(subida, nombre_original)
    try:
        subida.archivo.name = subida.archivo.storage.save(
            nombre, archivo, max_length=subida.archivo.field.max_length
        )
    except OSError as error:
        if error.errno != errno.ENOSPC:
            raise
        subida.archivo.storage.delete(nombre)
        logger.error("Sin espacio para guardar la subida %s (%s bytes).", nombre, archivo.size)
        raise ErrorPlanilla(
            "No hay espacio en el disco del servidor para guardar el archivo: no se guardó "
            "nada. Avisale a quien administra Tarifario y volvé a subirlo más tarde."
        ) from error
    subida.save()
    logger.info("Subida %s: %s (%s, %s bytes)", subida.pk, nombre_original, formato, subida.tamano)
    return subida


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
# la fila 40, lo más abajo que lo busca sugerencias.detectar_fila_encabezado.
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
        config = _configuracion_para(hoja, configuraciones)
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


def subir_planilla(
    proveedor: Proveedor, archivo: File, nombre_original: str, usuario=None
) -> tuple[Subida, list[HojaPropuesta]]:
    """Guarda la planilla y lee su vista previa; si no se puede leer, no queda nada guardado."""
    subida = registrar_subida(proveedor, archivo, nombre_original, usuario)
    try:
        return subida, vista_previa(subida)
    except ErrorPlanilla:
        subida.archivo.delete(save=False)
        subida.delete()
        raise


def _huella(hoja: HojaPrevia, fila_encabezado: int) -> str:
    if not 1 <= fila_encabezado <= len(hoja.filas):
        return ""
    return huella_encabezado(hoja.filas[fila_encabezado - 1])


def _configuracion_para(
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
        c for c in configuraciones if c.huella and c.huella == _huella(hoja, c.fila_encabezado)
    ]
    if reconocen:
        return min(reconocen, key=lambda c: c.nombre_config != hoja.nombre[:120])
    for config in configuraciones:
        if not config.huella and config.nombre_config == hoja.nombre:
            return config
    return None


# --- Confirmación y encolado ------------------------------------------------------


def confirmar_importacion(
    subida: Subida,
    elecciones: dict[str, dict],
    encolar: bool = True,
    omitidas: dict[str, dict] | None = None,
) -> list[ArchivoPendiente]:
    """Crea un ArchivoPendiente por hoja elegida y guarda el mapeo como configuración.

    `elecciones` va de nombre de hoja a mapeo ({"fila_encabezado", "columnas"}); las
    `omitidas` (hoja → mapeo propuesto) quedan recordadas como "no importar" para la
    próxima lista del proveedor. El aviso al worker sale sólo después del commit, así
    nunca procesa algo que todavía no está en la base.
    """
    hojas = {propuesta.hoja.nombre: propuesta.hoja for propuesta in vista_previa(subida)}
    archivos = []
    with transaction.atomic():
        for nombre_hoja, mapeo in (omitidas or {}).items():
            config, creada = ConfigImportacion.objects.get_or_create(
                proveedor=subida.proveedor,
                nombre_config=nombre_hoja[:120],
                defaults={"fila_encabezado": mapeo["fila_encabezado"], "importar": False},
            )
            if creada:
                config.aplicar_mapeo(mapeo)
                config.huella = _huella(hojas[nombre_hoja], mapeo["fila_encabezado"])
            config.importar = False
            config.save()
        for nombre_hoja, mapeo in elecciones.items():
            config, _creada = ConfigImportacion.objects.get_or_create(
                proveedor=subida.proveedor,
                nombre_config=nombre_hoja[:120],
                defaults={"fila_encabezado": mapeo["fila_encabezado"]},
            )
            config.aplicar_mapeo(mapeo)
            config.huella = _huella(hojas[nombre_hoja], mapeo["fila_encabezado"])
            config.importar = True
            config.save()
            archivos.append(
                ArchivoPendiente.objects.create(
                    proveedor=subida.proveedor,
                    subida=subida,
                    hoja_origen=nombre_hoja,
                    config_usada=config,
                    mapeo=mapeo,
                    nombre_archivo_origen=subida.nombre_original,
                    fecha_subida=subida.fecha,
                )
            )
        if encolar:
            for archivo in archivos:
                transaction.on_commit(partial(encolar_procesamiento, archivo.pk), robust=True)
    return archivos


def encolar_procesamiento(archivo_id: int | None = None) -> str | None:
    """Despierta a un worker (para un archivo, o para todos los pendientes).

    Si el broker no está, el archivo sigue pendiente en la base y lo toma el
    próximo aviso (o el worker cuando arranca).
    """
    from .tasks import procesar_pendientes

    argumentos = {"archivo_id": archivo_id} if archivo_id else {}
    try:
        return procesar_pendientes.apply_async(kwargs=argumentos).id
    except ErrorBroker:
        logger.warning(
            "Broker no disponible: los archivos quedan pendientes hasta el próximo aviso."
        )
        return None


def cancelar_archivo(archivo_id: int) -> bool:
    """Cancela un archivo que todavía no empezó; False si ya no estaba pendiente."""
    return bool(
        ArchivoPendiente.objects.filter(pk=archivo_id, estado=ESTADO.PENDIENTE).update(
            estado=ESTADO.CANCELADO,
            finalizado_en=timezone.now(),
            mensaje_error="Cancelado antes de procesarse.",
        )
    )


def volver_a_pendiente(
    archivo_id: int,
    estados: tuple[str, ...] = (ESTADO.ERROR, ESTADO.CANCELADO, ESTADO.REVISAR),
    **campos,
) -> bool:
    """Un archivo terminado sin aplicar vuelve a la cola (sin encolar el aviso).

    Es un UPDATE condicional: dos pedidos seguidos (doble clic) lo vuelven una sola vez.
    """
    return bool(
        ArchivoPendiente.objects.filter(pk=archivo_id, estado__in=estados).update(
            estado=ESTADO.PENDIENTE,
            intentos=0,
            mensaje_error="",
            finalizado_en=None,
            token=None,
            **campos,
        )
    )


def aplicar_igual(archivo_id: int) -> bool:
    """La persona confirma un salto de escala: se vuelve a procesar sin frenarlo."""
    with transaction.atomic():
        vuelto = volver_a_pendiente(archivo_id, (ESTADO.REVISAR,), escala_confirmada=True)
        if vuelto:
            transaction.on_commit(partial(encolar_procesamiento, archivo_id), robust=True)
    return vuelto


# --- Procesamiento ----------------------------------------------------------------


def procesar_pendientes(
    limite: int | None = None, archivo_id: int | None = None, al_avanzar: AlAvanzar | None = None
) -> list[dict]:
    """Procesa archivos pendientes de a uno hasta que no quede ninguno (o hasta `limite`).

    Con `archivo_id`, sólo ese archivo (si sigue pendiente).
    """
    if archivo_id is not None:
        limite = 1
    resumenes = []
    while limite is None or len(resumenes) < limite:
        archivo = reclamar_siguiente(ids=[archivo_id] if archivo_id is not None else None)
        if archivo is None:
            break
        resumenes.append(procesar_archivo(archivo, al_avanzar).resumen())
    return resumenes


def _nombre_worker() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def reclamar_siguiente(ids: list[int] | None = None) -> ArchivoPendiente | None:
    """Toma el archivo pendiente más viejo con un UPDATE condicional.

    Funciona igual en SQLite y PostgreSQL: si dos workers compiten por el
    mismo archivo, el UPDATE de uno afecta 0 filas y pasa al siguiente. Un
    archivo "procesando" cuyo plazo venció (el worker murió) se puede volver a
    tomar; después de TARIFARIO_MAX_INTENTOS queda en error.
    """
    while True:
        ahora = timezone.now()
        reclamables = ArchivoPendiente.objects.reclamables(ahora)
        if ids is not None:
            reclamables = reclamables.filter(pk__in=ids)
        candidato = reclamables.order_by("fecha_subida", "id").values_list("pk", flat=True).first()
        if candidato is None:
            return None
        token = uuid.uuid4()
        tomado = reclamables.filter(pk=candidato).update(
            estado=ESTADO.PROCESANDO,
            token=token,
            intentos=F("intentos") + 1,
            vence_en=ahora + timedelta(seconds=settings.TARIFARIO_LEASE_SEGUNDOS),
            iniciado_en=ahora,
            proximo_intento_en=None,
            worker=_nombre_worker(),
        )
        if not tomado:
            continue
        archivo = ArchivoPendiente.objects.select_related("proveedor", "subida").get(pk=candidato)
        if archivo.intentos > settings.TARIFARIO_MAX_INTENTOS:
            _finalizar_con_error(
                archivo,
                f"El archivo interrumpió el procesamiento {archivo.intentos - 1} veces "
                "(el worker se cayó leyéndolo). Revisalo o dividilo y volvé a subirlo.",
            )
            continue
        return archivo


def procesar_archivo(
    archivo: ArchivoPendiente, al_avanzar: AlAvanzar | None = None
) -> ArchivoPendiente:
    """Lee, normaliza y aplica un archivo ya reclamado. Los errores del archivo quedan en él."""
    try:
        lectura = convertir_a_csv(archivo, al_avanzar)
        leido = {
            "filas_leidas": lectura.leidas,
            "filas_validas": lectura.validas,
            "filas_descartadas": lectura.descartadas,
            "por_descripcion": lectura.por_descripcion,
            "filas_reparadas": lectura.reparadas,
            "motivos_descarte": dict(lectura.motivos),
        }
        # Aplicar puede llevar minutos con millones de filas: el plazo arranca de nuevo acá,
        # así otro worker no lo da por abandonado en el medio (el token igual lo impediría).
        _renovar_reclamo(archivo, lectura.leidas)
        ahora = timezone.now()
        with transaction.atomic():
            if _hay_una_lista_mas_nueva(archivo):
                _finalizar(
                    archivo,
                    estado=ESTADO.CANCELADO,
                    mensaje_error=(
                        "Ya se aplicó una lista más nueva de esta hoja del proveedor: ésta, "
                        "subida antes, no se aplicó para no pisar precios más recientes."
                    ),
                    **leido,
                )
                return archivo
            with default_storage.open(archivo.ruta_csv, "rb") as normalizado:
                carga = cargar_precios(
                    normalizado,
                    archivo.proveedor_id,
                    ahora,
                    archivo_id=archivo.pk,
                    hoja=archivo.hoja_origen,
                    verificar_escala=not archivo.escala_confirmada,
                    # Quien confirmó aplicar la lista tal como viene ya vio los saltos.
                    umbral=None
                    if archivo.escala_confirmada
                    else archivo.proveedor.umbral_sospechoso,
                )
            _finalizar(
                archivo,
                estado=ESTADO.PROCESADO,
                procesado=True,
                aplicado_en=ahora,
                codigos_repetidos=carga.repetidos,
                creados=carga.creados,
                actualizados=carga.actualizados,
                sin_cambios=carga.sin_cambios,
                sospechosos=carga.sospechosos,
                faltantes=carga.faltantes,
                faltantes_muestra=carga.faltantes_muestra,
                **leido,
            )
    except SaltoDeEscala as salto:
        # No se aplicó nada (la transacción volvió atrás): una persona decide.
        logger.warning(
            "Archivo %s: salto de escala ×%s, queda a revisar.", archivo.pk, salto.factor
        )
        _finalizar(archivo, estado=ESTADO.REVISAR, mensaje_error=str(salto), **leido)
    except ErrorPlanilla as error:
        logger.warning("Archivo %s con error: %s", archivo.pk, error)
        _finalizar_con_error(archivo, str(error))
    except (OperationalError, InterfaceError) as error:
        if getattr(error.__cause__, "sqlite_errorname", "") == "SQLITE_FULL":
            # "database or disk is full": reintentar solo no lo arregla (la carga ya volvió
            # atrás y liberó su lugar en el WAL, así que cerrar el archivo sí entra).
            logger.error("Archivo %s: disco de la base lleno (%s).", archivo.pk, error)
            _finalizar_con_error(archivo, DISCO_DE_LA_BASE_LLENO)
        else:
            # La base se cayó, cortó la conexión o el lock tardó: se reintenta más tarde.
            logger.warning("Archivo %s: error pasajero de la base (%s).", archivo.pk, error)
            _reintentar_mas_tarde(archivo, error)
    except ReclamoPerdido:
        logger.warning("Archivo %s: otro worker lo tomó; no se aplicó nada.", archivo.pk)
    archivo.refresh_from_db()
    logger.info(
        "Archivo %s (%s, hoja %s): %s, %s filas válidas, %s nuevos, %s actualizados",
        archivo.pk,
        archivo.proveedor.abreviatura,
        archivo.hoja_origen,
        archivo.estado,
        archivo.filas_validas,
        archivo.creados,
        archivo.actualizados,
    )
    return archivo


def _hay_una_lista_mas_nueva(archivo: ArchivoPendiente) -> bool:
    """Serializa por proveedor y hace que gane la lista subida más tarde.

    El lock del proveedor (PostgreSQL; en SQLite la transacción ya toma la base
    entera) hace que dos listas del mismo proveedor nunca se apliquen a la vez.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            segundos = settings.TARIFARIO_ESPERA_LOCK_SEGUNDOS
            cursor.execute(f"SET LOCAL lock_timeout = '{segundos}s'")
    # Traer la fila (y no exists()) asegura que se emita el SELECT … FOR UPDATE. NO KEY:
    # un FOR UPDATE a secas frenaría, mientras dura la carga, toda fila nueva que apunte al
    # proveedor (subir otra lista suya, por ejemplo), porque su FK pide FOR KEY SHARE.
    list(
        Proveedor.objects.select_for_update(no_key=True)
        .filter(pk=archivo.proveedor_id)
        .values("pk")
    )
    return (
        ArchivoPendiente.objects.filter(
            proveedor=archivo.proveedor_id,
            hoja_origen=archivo.hoja_origen,
            estado=ESTADO.PROCESADO,
            fecha_subida__gt=archivo.fecha_subida,
        )
        .exclude(pk=archivo.pk)
        .exists()
    )


def _reintentar_mas_tarde(archivo: ArchivoPendiente, error: Exception) -> None:
    """Vuelve a pendiente con espera creciente (30 s, 60 s, 120 s… hasta 10 min)."""
    espera = min(30 * 2 ** max(archivo.intentos - 1, 0), 600)
    ultimo = archivo.intentos >= settings.TARIFARIO_MAX_INTENTOS
    # Un reinicio de PostgreSQL corta la conexión y tarda un par de segundos en volver: se
    # insiste hasta REPROGRAMAR_SEGUNDOS antes de dejárselo al barrido, que lo retomaría
    # recién al vencer el plazo del reclamo (10 min en producción).
    limite = time.monotonic() + REPROGRAMAR_SEGUNDOS
    while True:
        # La conexión puede haber quedado inservible: la próxima consulta abre otra.
        connection.close()
        try:
            ArchivoPendiente.objects.filter(
                pk=archivo.pk, token=archivo.token, estado=ESTADO.PROCESANDO
            ).update(
                estado=ESTADO.ERROR if ultimo else ESTADO.PENDIENTE,
                proximo_intento_en=None if ultimo else timezone.now() + timedelta(seconds=espera),
                vence_en=None,
                mensaje_error=(
                    f"La base de datos falló {archivo.intentos} veces al importar ({error})."
                    if ultimo
                    else ""
                ),
            )
            return
        except (OperationalError, InterfaceError):
            if time.monotonic() >= limite:
                # La base sigue caída: el plazo del reclamo vence y el barrido lo retoma.
                logger.warning(
                    "Archivo %s: no se pudo reprogramar; lo retoma el barrido.", archivo.pk
                )
                return
            time.sleep(1)


def barrer_pendientes() -> str | None:
    """Despierta a un worker si hay trabajo reclamable (avisos perdidos, workers muertos)."""
    if ArchivoPendiente.objects.reclamables(timezone.now()).exists():
        return encolar_procesamiento()
    return None


def _finalizar(archivo: ArchivoPendiente, **campos) -> None:
    """Cierra el archivo sólo si este worker sigue teniendo el reclamo (commit con token)."""
    actualizados = ArchivoPendiente.objects.filter(
        pk=archivo.pk, token=archivo.token, estado=ESTADO.PROCESANDO
    ).update(finalizado_en=timezone.now(), vence_en=None, **campos)
    if actualizados != 1:
        raise ReclamoPerdido


def _finalizar_con_error(archivo: ArchivoPendiente, mensaje: str) -> None:
    _finalizar(archivo, estado=ESTADO.ERROR, mensaje_error=mensaje)


def _renovar_reclamo(archivo: ArchivoPendiente, filas_leidas: int) -> None:
    renovado = ArchivoPendiente.objects.filter(
        pk=archivo.pk, token=archivo.token, estado=ESTADO.PROCESANDO
    ).update(
        filas_leidas=filas_leidas,
        vence_en=timezone.now() + timedelta(seconds=settings.TARIFARIO_LEASE_SEGUNDOS),
    )
    if not renovado:
        raise ReclamoPerdido


def convertir_a_csv(archivo: ArchivoPendiente, al_avanzar: AlAvanzar | None = None) -> Lectura:
    """Lee la hoja en el lector aislado; guarda en el storage el CSV normalizado y los descartes."""
    config = archivo.config_usada
    with tempfile.TemporaryDirectory(prefix="tarifario-lector-") as carpeta:
        rutas = {nombre: Path(carpeta) / nombre for nombre in ("origen", "csv", "descartes")}
        with archivo.subida.archivo.open("rb") as fuente, rutas["origen"].open("wb") as copia:
            shutil.copyfileobj(fuente, copia, 1 << 20)
        trabajo = {
            **{nombre: str(ruta) for nombre, ruta in rutas.items()},
            "formato": archivo.subida.formato,
            "hoja": archivo.hoja_origen,
            "mapeo": archivo.mapeo,
            "separador_guardado": config.separador_decimal if config else "",
            "memoria_mb": settings.TARIFARIO_LECTOR_MEMORIA_MB,
            "cpu_segundos": settings.TARIFARIO_LECTOR_SEGUNDOS,
        }
        lectura = _leer_aislado(archivo, trabajo, Path(carpeta), al_avanzar)
        # Terminada la lectura, el total ya no es una estimación.
        archivo.filas_totales = lectura.leidas
        if al_avanzar:
            al_avanzar(archivo, lectura.leidas)
        if lectura.validas == 0:
            raise ErrorPlanilla(_sin_filas_validas(lectura))
        if config and lectura.separador_detectado not in (None, config.separador_decimal):
            ConfigImportacion.objects.filter(pk=config.pk).update(
                separador_decimal=lectura.separador_detectado
            )
        with rutas["csv"].open("rb") as normalizado:
            archivo.ruta_csv = _guardar(
                normalizado, archivo.ruta_csv, f"csv/archivo-{archivo.pk}.csv"
            )
        if lectura.descartadas:
            with rutas["descartes"].open("rb") as descartadas:
                archivo.ruta_descartes = _guardar(
                    descartadas, archivo.ruta_descartes, f"descartes/archivo-{archivo.pk}.csv"
                )
    ArchivoPendiente.objects.filter(
        pk=archivo.pk, token=archivo.token, estado=ESTADO.PROCESANDO
    ).update(
        ruta_csv=archivo.ruta_csv,
        ruta_descartes=archivo.ruta_descartes,
        filas_leidas=lectura.leidas,
        filas_totales=lectura.leidas,
    )
    return lectura


def _leer_aislado(
    archivo: ArchivoPendiente, trabajo: dict, carpeta: Path, al_avanzar: AlAvanzar | None
) -> Lectura:
    """Corre importaciones.lector en otro proceso y sigue su avance línea por línea."""
    comando = [sys.executable, "-m", "importaciones.lector", json.dumps(trabajo)]
    errores = carpeta / "errores.txt"
    with errores.open("wb") as salida_errores:
        proceso = subprocess.Popen(
            comando,
            cwd=settings.BASE_DIR,
            stdout=subprocess.PIPE,
            stderr=salida_errores,
            text=True,
            encoding="utf-8",
        )
    # El límite de CPU no cubre a un lector bloqueado: además, un reloj de pared.
    reloj = threading.Timer(settings.TARIFARIO_LECTOR_SEGUNDOS, proceso.kill)
    reloj.start()
    resultado = None
    try:
        for linea in proceso.stdout:
            clave, _espacio, valor = linea.rstrip("\n").partition(" ")
            if clave == "total":
                archivo.filas_totales = int(valor)
                ArchivoPendiente.objects.filter(
                    pk=archivo.pk, token=archivo.token, estado=ESTADO.PROCESANDO
                ).update(filas_totales=archivo.filas_totales)
            elif clave == "avance":
                _renovar_reclamo(archivo, int(valor))
                if al_avanzar:
                    al_avanzar(archivo, int(valor))
            elif clave == "resultado":
                resultado = json.loads(valor)
        codigo = proceso.wait()
    finally:
        reloj.cancel()
        if proceso.poll() is None:
            proceso.kill()
            proceso.wait()
    if resultado is None:
        raise ErrorPlanilla(
            _motivo_de_la_caida(archivo, codigo, errores.read_text(errors="replace"))
        )
    if "error" in resultado:
        raise ErrorPlanilla(resultado["error"])
    return Lectura(
        leidas=resultado["leidas"],
        validas=resultado["validas"],
        por_descripcion=resultado["por_descripcion"],
        reparadas=resultado["reparadas"],
        motivos=Counter(resultado["motivos"]),
        separador_detectado=resultado["separador"],
    )


def _motivo_de_la_caida(archivo: ArchivoPendiente, codigo: int, errores: str) -> str:
    """El lector terminó sin resultado: qué decirle a la persona (el detalle va al log)."""
    logger.error("El lector del archivo %s terminó con código %s:\n%s", archivo.pk, codigo, errores)
    if codigo in (-signal.SIGKILL, -signal.SIGXCPU):
        segundos = settings.TARIFARIO_LECTOR_SEGUNDOS
        plazo = f"{segundos // 60} minutos" if segundos >= 120 else f"{segundos} segundos"
        return (
            f"Leer el archivo llevó más de {plazo} y se detuvo. "
            "Revisá que no tenga celdas usadas muy lejos de la lista, o dividilo."
        )
    if codigo < 0 or "MemoryError" in errores:
        return (
            "El archivo es demasiado grande o complejo para leerlo: el lector se quedó sin "
            "memoria. Suele pasar con celdas usadas muy lejos de la lista (por ejemplo en la "
            "columna XFD); borralas o copiá sólo la lista a un libro nuevo."
        )
    return (
        "No se pudo leer el archivo (el lector falló). Probá guardarlo de nuevo desde Excel "
        "o LibreOffice y volver a subirlo."
    )


def _guardar(temporal, nombre_anterior: str, nombre: str) -> str:
    """Sube un archivo temporal al storage (reemplaza el de un intento anterior)."""
    temporal.seek(0)
    if nombre_anterior:
        default_storage.delete(nombre_anterior)
    return default_storage.save(nombre, File(temporal))


def _sin_filas_validas(lectura: Lectura) -> str:
    if not lectura.leidas:
        return "La hoja no tiene filas de datos debajo del encabezado."
    motivos = ", ".join(
        f"{motivo}: {cantidad}" for motivo, cantidad in lectura.motivos.most_common(3)
    )
    return (
        f"Ninguna de las {lectura.leidas} filas tiene código y precio válidos ({motivos}). "
        "Revisá qué columnas se eligieron para código y precio."
    )
