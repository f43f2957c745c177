from collections import Counter
from datetime import timedelta
from functools import cached_property
from typing import NamedTuple

from django.db import models
from django.utils import timezone

from importaciones.models import ArchivoPendiente
from proveedores.models import Proveedor

# Cómo se llama cada tarea para una persona; el nombre de Celery queda en "Detalles técnicos".
DESCRIPCIONES = {
    "importaciones.procesar_pendientes": "Procesamiento de archivos pendientes",
    "importaciones.barrer_pendientes": "Barrido de archivos pendientes",
    "monitor_tareas.purgar_historial": "Limpieza del historial de tareas",
    "core_config.respaldar": "Respaldo de la base",
}


class SinAplicar(NamedTuple):
    clase: str
    etiqueta: str
    singular: str
    plural: str


# Cómo termina un archivo que no quedó aplicado, de lo más grave a lo menos: lo más grave
# da el estado que se muestra de la tarea.
SIN_APLICAR = {
    ArchivoPendiente.Estado.ERROR: SinAplicar(
        "con-errores", "Con errores", "archivo con error", "archivos con error"
    ),
    ArchivoPendiente.Estado.REVISAR: SinAplicar(
        "a-revisar", "A revisar", "archivo a revisar", "archivos a revisar"
    ),
    ArchivoPendiente.Estado.CANCELADO: SinAplicar(
        "sin-aplicar", "Sin aplicar", "archivo cancelado", "archivos cancelados"
    ),
}


class EstadoVisible(NamedTuple):
    """Lo que ve una persona del estado de una tarea: clase CSS, etiqueta y una frase."""

    clase: str
    etiqueta: str
    detalle: str = ""


class RegistroTareaQuerySet(models.QuerySet):
    def encoladas(self) -> "RegistroTareaQuerySet":
        return self.filter(estado=RegistroTarea.Estado.ENCOLADA)

    def activas(self) -> "RegistroTareaQuerySet":
        return self.filter(estado__in=RegistroTarea.ACTIVAS)

    def finalizadas(self) -> "RegistroTareaQuerySet":
        # Como exclusión y no como IN: las terminadas son casi todo el historial, y así
        # el planificador recorre el índice por fecha y corta en la primera página en vez
        # de ordenar todas las terminadas (212 ms → ver bench/monitor.py).
        return self.exclude(estado__in=[RegistroTarea.Estado.ENCOLADA, *RegistroTarea.ACTIVAS])


class RegistroTarea(models.Model):
    """Auditoría de cada tarea que manda el proyecto, escrita desde las señales de Celery.

    Vive en la base: sobrevive a reinicios de Redis, del worker y de la web, y
    guarda las encoladas (que ni Flower ni django-celery-results conservan).
    """

    class Estado(models.TextChoices):
        ENCOLADA = "encolada", "Encolada"
        ACTIVA = "activa", "Activa"
        REINTENTANDO = "reintentando", "Reintentando"
        EXITOSA = "exitosa", "Exitosa"
        FALLIDA = "fallida", "Fallida"
        REVOCADA = "revocada", "Cancelada"

    ACTIVAS = (Estado.ACTIVA, Estado.REINTENTANDO)
    FINALIZADAS = (Estado.EXITOSA, Estado.FALLIDA, Estado.REVOCADA)

    tarea_id = models.CharField(max_length=64, unique=True)
    nombre = models.CharField(max_length=200)
    argumentos = models.JSONField(default=dict, blank=True)
    estado = models.CharField(max_length=12, choices=Estado.choices, default=Estado.ENCOLADA)
    archivo = models.ForeignKey(
        ArchivoPendiente, null=True, blank=True, on_delete=models.SET_NULL, related_name="tareas"
    )
    proveedor = models.ForeignKey(
        Proveedor, null=True, blank=True, on_delete=models.SET_NULL, related_name="tareas"
    )
    encolada_en = models.DateTimeField(default=timezone.now)
    iniciada_en = models.DateTimeField(null=True, blank=True)
    finalizada_en = models.DateTimeField(null=True, blank=True)
    worker = models.CharField(max_length=200, blank=True)
    reintentos = models.PositiveSmallIntegerField(default=0)
    resultado = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    traceback = models.TextField(blank=True)
    # Id de la tarea nueva cuando se reintentó o reenvió: evita duplicar con un doble clic.
    reenviada_como = models.CharField(max_length=64, blank=True)

    objects = RegistroTareaQuerySet.as_manager()

    class Meta:
        verbose_name = "registro de tarea"
        verbose_name_plural = "registros de tareas"
        ordering = ["-encolada_en", "-id"]
        indexes = [
            # Lista sin filtros y rango de fechas, de la más nueva a la más vieja.
            models.Index(fields=["-encolada_en", "-id"], name="tarea_por_fecha"),
            # Pestañas y filtro por estado (también el conteo por estado).
            models.Index(fields=["estado", "-encolada_en"], name="tarea_por_estado"),
            # Filtro por proveedor.
            models.Index(fields=["proveedor", "-encolada_en"], name="tarea_por_proveedor"),
            # Filtro por nombre de tarea.
            models.Index(fields=["nombre", "-encolada_en"], name="tarea_por_nombre"),
        ]

    def __str__(self) -> str:
        return f"{self.nombre} [{self.tarea_id}]"

    @classmethod
    def fue_cancelada(cls, tarea_id: str) -> bool:
        # revoke() sólo llega a los workers en línea; la marca en la base no se pierde.
        return cls.objects.filter(tarea_id=tarea_id, estado=cls.Estado.REVOCADA).exists()

    @property
    def duracion(self) -> timedelta | None:
        if self.iniciada_en and self.finalizada_en:
            return self.finalizada_en - self.iniciada_en
        return None

    @property
    def finalizada(self) -> bool:
        return self.estado in self.FINALIZADAS

    @property
    def descripcion(self) -> str:
        if self.archivo:
            return f"Importación de «{self.archivo.nombre_archivo_origen}»"
        return DESCRIPCIONES.get(self.nombre, self.nombre)

    def resumenes(self) -> list[dict]:
        """Los ArchivoPendiente.resumen() que devolvió una importación (nada en otras tareas)."""
        if not isinstance(self.resultado, list):
            return []
        return [r for r in self.resultado if isinstance(r, dict) and "archivo" in r]

    def estados_de_archivos(self) -> dict[int, str]:
        """{id: estado} de cómo terminó cada archivo de la tarea.

        Sale de lo que devolvió; el archivo de la tarea, si no lo devolvió, con su estado
        actual: uno que agotó sus intentos queda en error al reclamarlo, sin resumen.
        """
        estados = {r["archivo"]: r.get("estado", "") for r in self.resumenes()}
        if self.archivo_id and self.archivo_id not in estados and self.archivo.terminado:
            estados[self.archivo_id] = self.archivo.estado
        return estados

    @cached_property
    def estado_visible(self) -> EstadoVisible:
        """Una importación que dejó archivos sin aplicar no se muestra "Exitosa".

        Para Celery salió bien (el error de un archivo queda en el archivo y la tarea
        termina), pero la persona quiere saber si su lista se aplicó.
        """
        normal = EstadoVisible(self.estado, self.get_estado_display())
        if self.estado != self.Estado.EXITOSA:
            return normal
        cuantos = Counter(self.estados_de_archivos().values())
        problemas = [estado for estado in SIN_APLICAR if cuantos[estado]]
        if not problemas:
            return normal
        partes = [
            f"{cuantos[e]} {SIN_APLICAR[e].singular if cuantos[e] == 1 else SIN_APLICAR[e].plural}"
            for e in problemas
        ]
        if procesados := cuantos[ArchivoPendiente.Estado.PROCESADO]:
            partes.append(f"{procesados} procesado{'s' if procesados > 1 else ''}")
        peor = SIN_APLICAR[problemas[0]]
        return EstadoVisible(peor.clase, peor.etiqueta, f"Terminó: {', '.join(partes)}.")

    def perdida(self, ids_en_broker: set[str] | None, ahora=None) -> bool:
        """Encolada pero su mensaje ya no está en el broker (p. ej. Redis se reinició)."""
        if self.estado != self.Estado.ENCOLADA or self.reenviada_como or ids_en_broker is None:
            return False
        ahora = ahora or timezone.now()
        # Margen para el instante entre que el worker toma el mensaje y arranca la tarea.
        return self.tarea_id not in ids_en_broker and ahora - self.encolada_en > timedelta(
            seconds=30
        )
