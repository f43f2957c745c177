"""Los flujos de la importación: subir una planilla, confirmar su mapeo y procesarla.

La web, la tarea de Celery y los comandos llaman a estas funciones: hay una sola
implementación de cada flujo. Lo que cada paso delega, en orden: `propuestas` (qué mapeo
se propone por hoja), `reclamo` (los estados del archivo), `conversion` (la hoja al CSV
normalizado, en el lector aislado) y `carga` (el CSV a la base).
"""

import errno
import logging
from functools import partial

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import InterfaceError, OperationalError, connection, transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as ErrorBroker

from core_config.celery import app
from proveedores.models import Proveedor

from . import reclamo
from .carga import SaltoDeEscala, cargar_precios
from .conversion import AlAvanzar, convertir_a_csv
from .lectores import ErrorPlanilla, detectar_formato, verificar_contenedor
from .models import ArchivoPendiente, ConfigImportacion, Subida
from .propuestas import HojaPropuesta, huella_de, vista_previa
from .reclamo import ReclamoPerdido, finalizar, finalizar_con_error

logger = logging.getLogger(__name__)

ESTADO = ArchivoPendiente.Estado

DISCO_DE_LA_BASE_LLENO = (
    "El disco de la base de datos está lleno: no se aplicó ningún precio de esta lista (la "
    "tabla quedó como estaba). Avisale a quien administra Tarifario para que libere espacio "
    "y después reintentala desde el monitor de tareas."
)


# --- Subida ----------------------------------------------------------------------


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
                config.huella = huella_de(hojas[nombre_hoja], mapeo["fila_encabezado"])
            config.importar = False
            config.save()
        for nombre_hoja, mapeo in elecciones.items():
            config, _creada = ConfigImportacion.objects.get_or_create(
                proveedor=subida.proveedor,
                nombre_config=nombre_hoja[:120],
                defaults={"fila_encabezado": mapeo["fila_encabezado"]},
            )
            config.aplicar_mapeo(mapeo)
            config.huella = huella_de(hojas[nombre_hoja], mapeo["fila_encabezado"])
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
    argumentos = {"archivo_id": archivo_id} if archivo_id else {}
    try:
        # Por nombre: la tarea (tasks.py) llama a este módulo, no al revés.
        return app.send_task("importaciones.procesar_pendientes", kwargs=argumentos).id
    except ErrorBroker:
        logger.warning(
            "Broker no disponible: los archivos quedan pendientes hasta el próximo aviso."
        )
        return None


def aplicar_igual(archivo_id: int) -> bool:
    """La persona confirma un salto de escala: se vuelve a procesar sin frenarlo."""
    with transaction.atomic():
        vuelto = reclamo.volver_a_pendiente(archivo_id, (ESTADO.REVISAR,), escala_confirmada=True)
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
        archivo = reclamo.reclamar_siguiente(ids=[archivo_id] if archivo_id is not None else None)
        if archivo is None:
            break
        resumenes.append(procesar_archivo(archivo, al_avanzar).resumen())
    return resumenes


def procesar_archivo(
    archivo: ArchivoPendiente, al_avanzar: AlAvanzar | None = None
) -> ArchivoPendiente:
    """Lee, normaliza y aplica un archivo ya reclamado. Los errores del archivo quedan en él."""
    try:
        with reclamo.latido(archivo):
            lectura = convertir_a_csv(archivo, al_avanzar)
            leido = {
                "filas_leidas": lectura.leidas,
                "filas_validas": lectura.validas,
                "filas_descartadas": lectura.descartadas,
                "por_descripcion": lectura.por_descripcion,
                "filas_reparadas": lectura.reparadas,
                "motivos_descarte": dict(lectura.motivos),
            }
            # Guarda las filas leídas (el avance) y confirma que el reclamo sigue siendo suyo
            # antes de la carga; durante la carga el plazo lo corre el latido.
            reclamo.renovar_reclamo(archivo, lectura.leidas)
            _aplicar(archivo, leido)
    except SaltoDeEscala as salto:
        # No se aplicó nada (la transacción volvió atrás): una persona decide.
        logger.warning(
            "Archivo %s: salto de escala ×%s, queda a revisar.", archivo.pk, salto.factor
        )
        finalizar(archivo, estado=ESTADO.REVISAR, mensaje_error=str(salto), **leido)
    except ErrorPlanilla as error:
        logger.warning("Archivo %s con error: %s", archivo.pk, error)
        finalizar_con_error(archivo, str(error))
    except (OperationalError, InterfaceError) as error:
        if getattr(error.__cause__, "sqlite_errorname", "") == "SQLITE_FULL":
            # "database or disk is full": reintentar solo no lo arregla (la carga ya volvió
            # atrás y liberó su lugar en el WAL, así que cerrar el archivo sí entra).
            logger.error("Archivo %s: disco de la base lleno (%s).", archivo.pk, error)
            finalizar_con_error(archivo, DISCO_DE_LA_BASE_LLENO)
        else:
            # La base se cayó, cortó la conexión o el lock tardó: se reintenta más tarde.
            logger.warning("Archivo %s: error pasajero de la base (%s).", archivo.pk, error)
            reclamo.reintentar_mas_tarde(archivo, error)
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


def _aplicar(archivo: ArchivoPendiente, leido: dict) -> None:
    """Carga el CSV normalizado y cierra el archivo, en una transacción."""
    ahora = timezone.now()
    with transaction.atomic():
        if _hay_una_lista_mas_nueva(archivo):
            finalizar(
                archivo,
                estado=ESTADO.CANCELADO,
                mensaje_error=(
                    "Ya se aplicó una lista más nueva de esta hoja del proveedor: ésta, "
                    "subida antes, no se aplicó para no pisar precios más recientes."
                ),
                **leido,
            )
            return
        with default_storage.open(archivo.ruta_csv, "rb") as normalizado:
            carga = cargar_precios(
                normalizado,
                archivo.proveedor_id,
                ahora,
                archivo_id=archivo.pk,
                hoja=archivo.hoja_origen,
                verificar_escala=not archivo.escala_confirmada,
                # Quien confirmó aplicar la lista tal como viene ya vio los saltos.
                umbral=None if archivo.escala_confirmada else archivo.proveedor.umbral_sospechoso,
            )
        finalizar(
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


def barrer_pendientes() -> str | None:
    """Despierta a un worker si hay trabajo reclamable (avisos perdidos, workers muertos)."""
    reclamo.liberar_reclamos_de_procesos_muertos()
    if ArchivoPendiente.objects.reclamables(timezone.now()).exists():
        return encolar_procesamiento()
    return None
