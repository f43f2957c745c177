from datetime import timedelta

from django.db import models
from django.utils import timezone

from importaciones.models import ArchivoPendiente
from proveedores.models import Proveedor


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

    def perdida(self, ids_en_broker: set[str] | None, ahora=None) -> bool:
        """Encolada pero su mensaje ya no está en el broker (p. ej. Redis se reinició)."""
        if self.estado != self.Estado.ENCOLADA or self.reenviada_como or ids_en_broker is None:
            return False
        ahora = ahora or timezone.now()
        # Margen para el instante entre que el worker toma el mensaje y arranca la tarea.
        return self.tarea_id not in ids_en_broker and ahora - self.encolada_en > timedelta(
            seconds=30
        )
