from decimal import ROUND_HALF_UP, Decimal

from django.db import models

from proveedores.models import Proveedor

from .iva import IVA_POR_DEFECTO

CENTAVOS = Decimal("0.01")


class Moneda(models.TextChoices):
    """Moneda de un precio de lista: las listas argentinas mezclan pesos y dólares."""

    ARS = "ARS", "$"
    USD = "USD", "U$S"
    EUR = "EUR", "€"


# SIN_CHEQUEO_POR_FILA. El historial y los artículos sin revisar los escribe sólo la carga de
# una lista (importaciones/carga.py), con ids de precios que leyó o creó en la misma
# transacción: una clave foránea de la base no agregaría nada y costaría un chequeo por fila
# al confirmar (PostgreSQL lo hace de a uno: 5,3 s por millón de filas medidos). El borrado
# en cascada lo hace Django, como con cualquier clave foránea de este proyecto.


class PrecioDeLista(models.Model):
    """El precio de lista de un artículo de un proveedor; la importación hace upsert."""

    # Sin índice propio: lo cubre el de la restricción única (proveedor, codigo_clave), y un
    # índice de más es una escritura más por cada fila importada.
    proveedor = models.ForeignKey(
        Proveedor, on_delete=models.CASCADE, related_name="precios", db_index=False
    )
    # Tal como lo escribe el proveedor (conserva ceros a la izquierda). Vacío en un artículo
    # que la lista trae sin código: entonces lo identifica su descripción (ver codigo_clave).
    codigo = models.CharField(max_length=64, blank=True)
    # Clave de comparación: un código numérico sin ceros a la izquierda ("0037" == "37"); sin
    # código, "desc:" y el hash de la descripción normalizada (la misma el mes que viene).
    codigo_clave = models.CharField(max_length=64)
    descripcion = models.CharField(max_length=500, blank=True)
    precio = models.DecimalField(max_digits=18, decimal_places=6)
    moneda = models.CharField(max_length=3, choices=Moneda.choices, default=Moneda.ARS)
    iva = models.DecimalField(max_digits=6, decimal_places=4, default=IVA_POR_DEFECTO)
    bulto = models.PositiveIntegerField(default=1)
    stock = models.IntegerField(null=True, blank=True)
    marca = models.CharField(max_length=120, blank=True)
    codigo_barras = models.CharField(max_length=32, blank=True)
    # Hoja de la que vino por última vez: sirve para decir qué falta en la lista nueva.
    hoja = models.CharField(max_length=120, blank=True)
    creado_en = models.DateTimeField(auto_now_add=True)
    actualizado_en = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "precio de lista"
        verbose_name_plural = "precios de lista"
        ordering = ["proveedor", "codigo_clave"]
        constraints = [
            # El upsert de la importación usa esta restricción (ON CONFLICT).
            models.UniqueConstraint(
                fields=["proveedor", "codigo_clave"], name="precio_unico_por_proveedor_y_codigo"
            ),
            models.CheckConstraint(condition=models.Q(precio__gte=0), name="precio_no_negativo"),
        ]
        indexes = [
            # La búsqueda del mostrador por EAN exacto (el resto del texto lo indexa la
            # migración 0003_busqueda: FTS5 en SQLite, trigramas en PostgreSQL).
            models.Index(fields=["codigo_barras"], name="precio_por_codigo_barras"),
        ]

    def __str__(self) -> str:
        return f"{self.codigo_completo} {self.descripcion}"

    @property
    def codigo_completo(self) -> str:
        return f"{self.codigo or 'sin código'}/{self.proveedor.abreviatura}"

    @property
    def simbolo_moneda(self) -> str:
        return Moneda(self.moneda).label

    def precios_de_venta(self, dividir: bool = False) -> dict[str, Decimal]:
        return calcular_precios_de_venta(self, self.proveedor, dividir=dividir)


def _redondear(valor: Decimal) -> Decimal:
    return valor.quantize(CENTAVOS, rounding=ROUND_HALF_UP)


def calcular_precios_de_venta(
    precio: PrecioDeLista, proveedor: Proveedor, dividir: bool = False
) -> dict[str, Decimal]:
    """Precio final y en efectivo como en el sistema original.

    base = lista (÷ bulto si se vende por unidad) × (1 + IVA) × (1 − descuento);
    final = base × margen; efectivo = final × margen efectivo; redondeo a
    centavos con medio hacia arriba.
    """
    lista = precio.precio / precio.bulto if dividir and precio.bulto else precio.precio
    base = lista * (1 + precio.iva) * (1 - proveedor.descuento_comercial)
    final = base * proveedor.margen_ganancia
    return {
        "final": _redondear(final),
        "efectivo": _redondear(final * proveedor.margen_ganancia_efectivo),
    }


class HistorialPrecio(models.Model):
    """Cada cambio de precio de lista: cuándo, de cuánto a cuánto y de qué archivo."""

    # Sin clave foránea en la base (SIN_CHEQUEO_POR_FILA): la borra Django en cascada.
    precio_lista = models.ForeignKey(
        PrecioDeLista, on_delete=models.CASCADE, related_name="historial", db_constraint=False
    )
    archivo = models.ForeignKey(
        "importaciones.ArchivoPendiente",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cambios",
    )
    fecha = models.DateTimeField()
    precio_anterior = models.DecimalField(max_digits=18, decimal_places=6)
    precio_nuevo = models.DecimalField(max_digits=18, decimal_places=6)

    class Meta:
        verbose_name = "cambio de precio"
        verbose_name_plural = "historial de precios"
        ordering = ["-fecha", "-id"]
        indexes = [
            # La ficha del artículo: sus cambios en orden.
            models.Index(fields=["precio_lista", "fecha"], name="historial_por_precio"),
        ]

    def __str__(self) -> str:
        return f"{self.precio_lista_id}: {self.precio_anterior} → {self.precio_nuevo}"

    @property
    def variacion(self) -> Decimal | None:
        """Variación en %, (nuevo − anterior) / anterior × 100."""
        if not self.precio_anterior:
            return None
        return (self.precio_nuevo - self.precio_anterior) / self.precio_anterior * 100


class Articulo(models.Model):
    """Artículo canónico del local, identificado por su código de barras."""

    codigo_barras = models.CharField(max_length=32, unique=True)
    nombre = models.CharField(max_length=200)
    descripcion = models.TextField(blank=True)

    class Meta:
        ordering = ["nombre"]

    def __str__(self) -> str:
        return f"{self.nombre} ({self.codigo_barras})"


class ArticuloProveedor(models.Model):
    """Vínculo entre el precio de un proveedor y el artículo del local."""

    precio_lista = models.OneToOneField(
        PrecioDeLista, on_delete=models.CASCADE, related_name="articulo_proveedor"
    )
    articulo = models.ForeignKey(Articulo, on_delete=models.CASCADE, related_name="proveedores")
    codigo_proveedor = models.CharField(max_length=64)
    descripcion_proveedor = models.CharField(max_length=500, blank=True)
    precio = models.DecimalField(max_digits=18, decimal_places=6)
    stock = models.IntegerField(null=True, blank=True)
    dividir = models.BooleanField(default=False, help_text="Vender por unidad dividiendo el bulto.")

    class Meta:
        verbose_name = "artículo de proveedor"
        verbose_name_plural = "artículos de proveedor"

    def __str__(self) -> str:
        return f"{self.codigo_proveedor} → {self.articulo}"


class ArticuloSinRevisar(models.Model):
    """Precio de proveedor que todavía no se vinculó a un Articulo del local."""

    # Sin clave foránea en la base (SIN_CHEQUEO_POR_FILA): la borra Django en cascada.
    precio_lista = models.OneToOneField(
        PrecioDeLista, on_delete=models.CASCADE, related_name="sin_revisar", db_constraint=False
    )
    creado_en = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "artículo sin revisar"
        verbose_name_plural = "artículos sin revisar"

    def __str__(self) -> str:
        return str(self.precio_lista)
