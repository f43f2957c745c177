import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from proveedores.models import Proveedor

from .campos import CAMPOS, CAMPOS_OPCIONALES, CAMPOS_REQUERIDOS  # noqa: F401


def nombre_generado(subida: "Subida", nombre_original: str) -> str:
    # El nombre original es sólo un dato: en disco va un nombre generado, con la
    # extensión del formato detectado por contenido (no la que trae el nombre).
    return f"subidas/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.{subida.formato}"


class Subida(models.Model):
    """Una planilla tal como la subió una persona (puede tener varias hojas)."""

    class Formato(models.TextChoices):
        XLSX = "xlsx", "Excel (.xlsx)"
        XLS = "xls", "Excel 97-2003 (.xls)"
        ODS = "ods", "OpenDocument (.ods)"
        CSV = "csv", "Texto separado (.csv)"

    proveedor = models.ForeignKey(Proveedor, on_delete=models.CASCADE, related_name="subidas")
    archivo = models.FileField(upload_to=nombre_generado, max_length=200)
    nombre_original = models.CharField(max_length=255)
    formato = models.CharField(max_length=4, choices=Formato.choices)
    tamano = models.PositiveBigIntegerField()
    subido_por = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    fecha = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-fecha"]

    def __str__(self) -> str:
        return self.nombre_original


class ConfigImportacion(models.Model):
    """Cómo leer las planillas de un proveedor: fila de encabezado y columna de cada dato."""

    proveedor = models.ForeignKey(
        Proveedor, on_delete=models.CASCADE, related_name="configuraciones"
    )
    nombre_config = models.CharField(max_length=120, help_text="Por defecto, el nombre de la hoja.")
    fila_encabezado = models.PositiveIntegerField(default=1)
    col_codigo = models.CharField(max_length=3, blank=True)
    # La persona (o la sugerencia) dijo que la lista no trae códigos: cada artículo se
    # identifica por su descripción normalizada.
    sin_codigo = models.BooleanField("sin columna de código", default=False)
    # Si la última vez la persona eligió importar esta hoja: la página de columnas la
    # propone marcada (o no) la próxima vez.
    importar = models.BooleanField(default=True)
    col_descripcion = models.CharField(max_length=3)
    col_precio = models.CharField(max_length=3)
    col_cant = models.CharField("columna de bulto", max_length=3, blank=True)
    col_iva = models.CharField(max_length=3, blank=True)
    col_cod_barras = models.CharField(max_length=3, blank=True)
    col_marca = models.CharField(max_length=3, blank=True)
    # Separador decimal de los precios que no son ambiguos ("," o "."): decide
    # los ambiguos (1.234) en las listas siguientes.
    separador_decimal = models.CharField(max_length=1, blank=True)
    # Huella del encabezado: reconoce el mismo formato aunque cambie el nombre de la hoja.
    huella = models.CharField(max_length=64, blank=True, db_index=True)
    instructivo = models.TextField(blank=True)
    actualizado_en = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "configuración de importación"
        verbose_name_plural = "configuraciones de importación"
        constraints = [
            models.UniqueConstraint(
                fields=["proveedor", "nombre_config"], name="config_unica_por_proveedor"
            )
        ]

    def __str__(self) -> str:
        return f"{self.proveedor.abreviatura}: {self.nombre_config}"

    # Nombres de campo del dominio ↔ columnas del modelo original.
    COLUMNAS = {
        "codigo": "col_codigo",
        "descripcion": "col_descripcion",
        "precio": "col_precio",
        "bulto": "col_cant",
        "iva": "col_iva",
        "codigo_barras": "col_cod_barras",
        "marca": "col_marca",
    }

    def mapeo(self) -> dict:
        columnas = {campo: getattr(self, atributo) for campo, atributo in self.COLUMNAS.items()}
        return {
            "fila_encabezado": self.fila_encabezado,
            "columnas": columnas,
            "sin_codigo": self.sin_codigo,
        }

    def aplicar_mapeo(self, mapeo: dict) -> None:
        self.fila_encabezado = mapeo["fila_encabezado"]
        self.sin_codigo = bool(mapeo.get("sin_codigo"))
        for campo, atributo in self.COLUMNAS.items():
            setattr(self, atributo, mapeo["columnas"].get(campo) or "")


class ArchivoPendienteQuerySet(models.QuerySet):
    def reclamables(self, ahora) -> "ArchivoPendienteQuerySet":
        """Pendientes cuyo reintento ya venció, y "procesando" de un worker que murió."""
        estado = ArchivoPendiente.Estado
        return self.filter(
            models.Q(estado=estado.PENDIENTE)
            & (models.Q(proximo_intento_en__isnull=True) | models.Q(proximo_intento_en__lte=ahora))
            | models.Q(estado=estado.PROCESANDO, vence_en__lt=ahora)
        )

    def en_curso(self) -> "ArchivoPendienteQuerySet":
        return self.filter(
            estado__in=[ArchivoPendiente.Estado.PENDIENTE, ArchivoPendiente.Estado.PROCESANDO]
        )


class ArchivoPendiente(models.Model):
    """Una hoja de una planilla subida, a procesar en segundo plano.

    La base es la verdad de lo que falta hacer: un worker *reclama* el archivo
    con un UPDATE condicional y sólo confirma su resultado si sigue teniendo el
    reclamo (token). Los mensajes de Celery son sólo avisos para despertar.
    """

    class Estado(models.TextChoices):
        PENDIENTE = "pendiente", "Pendiente"
        PROCESANDO = "procesando", "Procesando"
        PROCESADO = "procesado", "Procesado"
        ERROR = "error", "Error"
        CANCELADO = "cancelado", "Cancelado"
        REVISAR = "revisar", "A revisar"
        DESHECHO = "deshecho", "Deshecho"

    proveedor = models.ForeignKey(Proveedor, on_delete=models.CASCADE, related_name="archivos")
    subida = models.ForeignKey(Subida, on_delete=models.CASCADE, related_name="archivos")
    hoja_origen = models.CharField(max_length=120)
    config_usada = models.ForeignKey(
        ConfigImportacion, null=True, blank=True, on_delete=models.SET_NULL
    )
    # Copia del mapeo elegido al confirmar: cambiar la configuración después no
    # cambia cómo se lee un archivo ya encolado.
    mapeo = models.JSONField()
    nombre_archivo_origen = models.CharField(max_length=255)
    # CSV normalizado (nombre en el storage), generado por el worker.
    ruta_csv = models.CharField(max_length=200, blank=True)
    fecha_subida = models.DateTimeField(default=timezone.now)
    procesado = models.BooleanField(default=False)

    estado = models.CharField(max_length=12, choices=Estado.choices, default=Estado.PENDIENTE)
    intentos = models.PositiveSmallIntegerField(default=0)
    # Tras un error pasajero (base caída, lock) no se reintenta antes de esto.
    proximo_intento_en = models.DateTimeField(null=True, blank=True)
    token = models.UUIDField(null=True, blank=True, editable=False)
    vence_en = models.DateTimeField(null=True, blank=True)
    worker = models.CharField(max_length=200, blank=True)
    iniciado_en = models.DateTimeField(null=True, blank=True)
    finalizado_en = models.DateTimeField(null=True, blank=True)

    # Estimación del total de filas de la hoja, para la barra de avance.
    filas_totales = models.PositiveIntegerField(null=True, blank=True)
    filas_leidas = models.PositiveIntegerField(default=0)
    filas_validas = models.PositiveIntegerField(default=0)
    filas_descartadas = models.PositiveIntegerField(default=0)
    # Filas con un código que ya vino más arriba en la hoja (gana la primera).
    codigos_repetidos = models.PositiveIntegerField(default=0)
    # Filas sin código importadas por su descripción normalizada.
    por_descripcion = models.PositiveIntegerField(default=0)
    # Registros de CSV con un campo de más que se repararon uniendo dos campos vecinos.
    filas_reparadas = models.PositiveIntegerField(default=0)
    creados = models.PositiveIntegerField(default=0)
    actualizados = models.PositiveIntegerField(default=0)
    sin_cambios = models.PositiveIntegerField(default=0)
    # {"motivo": cantidad} de las filas descartadas.
    motivos_descarte = models.JSONField(default=dict, blank=True)
    # Filas descartadas con su número y valores originales (CSV en el storage).
    ruta_descartes = models.CharField(max_length=200, blank=True)
    # Artículos de esta hoja que estaban en la lista anterior y no en esta.
    faltantes = models.PositiveIntegerField(default=0)
    faltantes_muestra = models.JSONField(default=list, blank=True)
    # Cambios de precio retenidos (más que el umbral del proveedor, o ×10, ×100…): no se
    # aplicaron; una persona los aplica o descarta (CambioRetenido).
    sospechosos = models.PositiveIntegerField(default=0)
    deshecho_en = models.DateTimeField(null=True, blank=True)
    # Cuándo se aplicó: los artículos nuevos son los creados en ese instante.
    aplicado_en = models.DateTimeField(null=True, blank=True)
    # La persona confirmó aplicar aunque los precios cambien de escala (×10, ×100…).
    escala_confirmada = models.BooleanField(default=False)
    mensaje_error = models.TextField(blank=True)

    objects = ArchivoPendienteQuerySet.as_manager()

    class Meta:
        verbose_name = "archivo pendiente"
        verbose_name_plural = "archivos pendientes"
        ordering = ["fecha_subida", "id"]
        indexes = [
            # Sirve al reclamo: "el pendiente más viejo" sin recorrer el historial.
            models.Index(
                fields=["fecha_subida", "id"],
                name="archivo_por_reclamar",
                condition=models.Q(estado__in=["pendiente", "procesando"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.nombre_archivo_origen} [{self.hoja_origen}]"

    @property
    def terminado(self) -> bool:
        return self.estado in (
            self.Estado.PROCESADO,
            self.Estado.ERROR,
            self.Estado.CANCELADO,
            self.Estado.REVISAR,
            self.Estado.DESHECHO,
        )

    @property
    def velocidad(self) -> float | None:
        """Filas por segundo mientras se procesa."""
        if self.estado != self.Estado.PROCESANDO or not self.iniciado_en or not self.filas_leidas:
            return None
        segundos = (timezone.now() - self.iniciado_en).total_seconds()
        return self.filas_leidas / segundos if segundos > 0 else None

    @property
    def segundos_restantes(self) -> float | None:
        velocidad = self.velocidad
        if not velocidad or not self.filas_totales:
            return None
        return max(self.filas_totales - self.filas_leidas, 0) / velocidad

    def resumen(self) -> dict:
        """Lo que devuelve la tarea y muestra la línea de comandos."""
        return {
            "archivo": self.pk,
            "proveedor": self.proveedor.abreviatura,
            "hoja": self.hoja_origen,
            "estado": self.estado,
            "filas_leidas": self.filas_leidas,
            "filas_validas": self.filas_validas,
            "filas_descartadas": self.filas_descartadas,
            "codigos_repetidos": self.codigos_repetidos,
            "por_descripcion": self.por_descripcion,
            "filas_reparadas": self.filas_reparadas,
            "creados": self.creados,
            "actualizados": self.actualizados,
            "sin_cambios": self.sin_cambios,
            "error": self.mensaje_error,
        }


class FilaObservada(models.Model):
    """Una fila del informe que una persona tiene que poder ver: no se perdió nada sin avisar.

    La escribe la carga con sentencias de conjunto, en la misma transacción que los precios.
    """

    class Tipo(models.TextChoices):
        REPETIDA = "repetida", "Código repetido (quedó la primera fila)"
        SIN_CODIGO = "sin_codigo", "Sin código: se identificó por descripción"
        REPARADA = "reparada", "Registro reparado"
        FALTANTE = "faltante", "Ya no está en la lista"

    # Sin clave foránea en la base, como el historial (precios.models, SIN_CHEQUEO_POR_FILA):
    # la carga escribe estas filas con el id de su archivo; el borrado en cascada es de Django.
    archivo = models.ForeignKey(
        ArchivoPendiente,
        on_delete=models.CASCADE,
        related_name="observaciones",
        db_constraint=False,
    )
    tipo = models.CharField(max_length=12, choices=Tipo.choices)
    # Número de fila de la planilla (vacío en un faltante: no vino en esta lista).
    fila = models.PositiveIntegerField(null=True, blank=True)
    codigo = models.CharField(max_length=64, blank=True)
    descripcion = models.CharField(max_length=500, blank=True)
    precio = models.DecimalField(max_digits=18, decimal_places=6, null=True, blank=True)
    moneda = models.CharField(max_length=3, default="ARS")
    # El precio guardado al que se refiere (el que ganó, o el que falta), si lo hay.
    precio_lista_id = models.BigIntegerField(null=True, blank=True)
    detalle = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = "fila observada"
        verbose_name_plural = "filas observadas"
        ordering = ["archivo", "tipo", "fila", "id"]
        indexes = [
            # El informe: las filas de un tipo de un archivo, en orden de planilla.
            models.Index(fields=["archivo", "tipo", "fila"], name="observada_por_archivo"),
        ]

    def __str__(self) -> str:
        return f"{self.archivo_id} {self.tipo} fila {self.fila}: {self.codigo}"


class CambioRetenido(models.Model):
    """Un cambio de precio sospechoso que la importación no aplicó: lo decide una persona."""

    class Estado(models.TextChoices):
        RETENIDO = "retenido", "Retenido"
        APLICADO = "aplicado", "Aplicado"
        DESCARTADO = "descartado", "Descartado"

    archivo = models.ForeignKey(
        ArchivoPendiente, on_delete=models.CASCADE, related_name="retenidos", db_constraint=False
    )
    # Sin clave foránea en la base, como el historial (SIN_CHEQUEO_POR_FILA en precios.models).
    precio_lista = models.ForeignKey(
        "precios.PrecioDeLista",
        on_delete=models.CASCADE,
        related_name="retenidos",
        db_constraint=False,
    )
    precio_anterior = models.DecimalField(max_digits=18, decimal_places=6)
    precio_nuevo = models.DecimalField(max_digits=18, decimal_places=6)
    estado = models.CharField(max_length=10, choices=Estado.choices, default=Estado.RETENIDO)
    resuelto_en = models.DateTimeField(null=True, blank=True)
    resuelto_por = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        verbose_name = "cambio retenido"
        verbose_name_plural = "cambios retenidos"
        ordering = ["archivo", "id"]
        indexes = [
            # El informe: los retenidos de un archivo que faltan decidir.
            models.Index(fields=["archivo", "estado"], name="retenido_por_archivo"),
        ]

    def __str__(self) -> str:
        return f"{self.precio_lista_id}: {self.precio_anterior} → {self.precio_nuevo}"
