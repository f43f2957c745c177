"""Lo que decide una persona después de importar: los cambios retenidos y deshacer.

Ningún precio cambia sin que alguien lo vea: un cambio sospechoso queda retenido hasta que
una persona lo aplica o lo descarta, y una importación entera se puede deshacer mientras
sea la última aplicada del proveedor (con los registros de la misma transacción: el
historial de precios y los artículos que creó).
"""

import logging
from collections.abc import Iterable

from django.db import transaction
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone

from precios.models import ArticuloProveedor, HistorialPrecio, PrecioDeLista
from proveedores.models import Proveedor

from . import reclamo
from .models import ArchivoPendiente, CambioRetenido

logger = logging.getLogger(__name__)

ESTADO = ArchivoPendiente.Estado
RETENIDO = CambioRetenido.Estado


class NoSePuedeDeshacer(Exception):
    """El mensaje dice por qué, para la persona que lo pidió."""


def _retenidos(archivo_id: int, ids: Iterable[int] | None) -> QuerySet:
    pendientes = CambioRetenido.objects.filter(archivo_id=archivo_id, estado=RETENIDO.RETENIDO)
    return pendientes if ids is None else pendientes.filter(pk__in=list(ids))


def aplicar_retenidos(archivo_id: int, ids: Iterable[int] | None = None, usuario=None) -> int:
    """Aplica los cambios retenidos elegidos (todos con `ids=None`); devuelve cuántos.

    Un precio que cambió después (otra lista) ya no es el "anterior" del retenido: ese no se
    aplica y queda descartado, para no pisar un precio más nuevo.
    """
    ahora = timezone.now()
    with transaction.atomic():
        _bloquear_proveedor_de(archivo_id)
        retenidos = list(_retenidos(archivo_id, ids).select_related("precio_lista"))
        vigentes = [r for r in retenidos if r.precio_lista.precio == r.precio_anterior]
        for retenido in vigentes:
            retenido.precio_lista.precio = retenido.precio_nuevo
            retenido.precio_lista.actualizado_en = ahora
        PrecioDeLista.objects.bulk_update(
            [r.precio_lista for r in vigentes], ["precio", "actualizado_en"], batch_size=1000
        )
        HistorialPrecio.objects.bulk_create(
            HistorialPrecio(
                precio_lista_id=r.precio_lista_id,
                archivo_id=archivo_id,
                fecha=ahora,
                precio_anterior=r.precio_anterior,
                precio_nuevo=r.precio_nuevo,
            )
            for r in vigentes
        )
        _sincronizar_vinculos(r.precio_lista_id for r in vigentes)
        _resolver(vigentes, RETENIDO.APLICADO, ahora, usuario)
        _resolver([r for r in retenidos if r not in vigentes], RETENIDO.DESCARTADO, ahora, usuario)
    logger.info("Archivo %s: %s cambios retenidos aplicados.", archivo_id, len(vigentes))
    return len(vigentes)


def descartar_retenidos(archivo_id: int, ids: Iterable[int] | None = None, usuario=None) -> int:
    """Descarta los cambios retenidos elegidos: el precio queda como estaba."""
    return _retenidos(archivo_id, ids).update(
        estado=RETENIDO.DESCARTADO, resuelto_en=timezone.now(), resuelto_por=usuario
    )


def _resolver(retenidos: list[CambioRetenido], estado: str, ahora, usuario) -> None:
    CambioRetenido.objects.filter(pk__in=[r.pk for r in retenidos]).update(
        estado=estado, resuelto_en=ahora, resuelto_por=usuario
    )


def _bloquear_proveedor_de(archivo_id: int) -> None:
    """El mismo lock que la carga: nada de esto corre a la vez que una lista del proveedor."""
    proveedor_id = ArchivoPendiente.objects.values_list("proveedor_id", flat=True).get(
        pk=archivo_id
    )
    list(Proveedor.objects.select_for_update(no_key=True).filter(pk=proveedor_id).values("pk"))


def motivo_para_no_deshacer(archivo: ArchivoPendiente) -> str:
    """Por qué no se puede deshacer esta importación, o "" si se puede."""
    if archivo.estado != ESTADO.PROCESADO or not archivo.aplicado_en:
        return "Sólo se puede deshacer una importación aplicada."
    mas_nueva = (
        ArchivoPendiente.objects.filter(
            proveedor=archivo.proveedor_id,
            estado=ESTADO.PROCESADO,
            aplicado_en__gt=archivo.aplicado_en,
        )
        .order_by("-aplicado_en")
        .first()
    )
    if mas_nueva:
        return (
            f"Después se aplicó «{mas_nueva.nombre_archivo_origen}» (hoja "
            f"«{mas_nueva.hoja_origen}») del mismo proveedor: deshacé esa primero."
        )
    return ""


def deshacer_importacion(archivo_id: int) -> dict[str, int]:
    """Vuelve los precios a como estaban antes de esta importación, en una transacción.

    Restaura el precio anterior de cada cambio del historial (también de los retenidos que
    se aplicaron después), borra los artículos que la importación creó y descarta los
    retenidos pendientes. Las descripciones y demás datos quedan como los dejó la lista.
    """
    ahora = timezone.now()
    with transaction.atomic():
        _bloquear_proveedor_de(archivo_id)
        archivo = ArchivoPendiente.objects.select_for_update().get(pk=archivo_id)
        if motivo := motivo_para_no_deshacer(archivo):
            raise NoSePuedeDeshacer(motivo)
        cambios = HistorialPrecio.objects.filter(archivo=archivo)
        # Un precio que cambió varias veces por este archivo (retenido aplicado) vuelve al
        # primero de sus anteriores.
        anteriores: dict[int, object] = {}
        for precio_id, anterior in cambios.order_by("fecha", "id").values_list(
            "precio_lista_id", "precio_anterior"
        ):
            anteriores.setdefault(precio_id, anterior)
        precios = list(PrecioDeLista.objects.filter(pk__in=anteriores))
        for precio in precios:
            precio.precio = anteriores[precio.pk]
            precio.actualizado_en = ahora
        PrecioDeLista.objects.bulk_update(precios, ["precio", "actualizado_en"], batch_size=1000)
        _sincronizar_vinculos(anteriores)
        restaurados = len(precios)
        cambios.delete()
        creados = PrecioDeLista.objects.filter(
            proveedor=archivo.proveedor_id, creado_en=archivo.aplicado_en
        )
        borrados = creados.count()
        creados.delete()
        descartar_retenidos(archivo.pk)
        reclamo.marcar_deshecho(archivo.pk, ahora)
    logger.info(
        "Archivo %s deshecho: %s precios restaurados, %s artículos nuevos borrados.",
        archivo_id,
        restaurados,
        borrados,
    )
    return {"restaurados": restaurados, "borrados": borrados}


def _sincronizar_vinculos(precio_ids: Iterable[int]) -> None:
    """Los vínculos con el artículo del local reflejan el precio de lista actual."""
    ArticuloProveedor.objects.filter(precio_lista_id__in=list(precio_ids)).update(
        precio=Subquery(
            PrecioDeLista.objects.filter(pk=OuterRef("precio_lista_id")).values("precio")[:1]
        )
    )
