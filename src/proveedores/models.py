from decimal import Decimal

from django.core.validators import MinValueValidator, RegexValidator
from django.db import models


class Proveedor(models.Model):
    nombre = models.CharField(max_length=200)
    abreviatura = models.CharField(
        max_length=20,
        unique=True,
        help_text="Única, en mayúsculas (p. ej. VAL). Forma el código completo 37/VAL.",
        validators=[
            RegexValidator(r"^[A-Z0-9]+$", "Usá sólo letras mayúsculas y números, sin espacios.")
        ],
    )
    descuento_comercial = models.DecimalField(
        max_digits=6,
        decimal_places=4,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text="Fracción: 0,10 es 10 % de descuento sobre la lista.",
    )
    margen_ganancia = models.DecimalField(
        max_digits=8, decimal_places=4, default=Decimal("1"), help_text="Factor, p. ej. 1,5."
    )
    margen_ganancia_efectivo = models.DecimalField(
        max_digits=8,
        decimal_places=4,
        default=Decimal("1"),
        help_text="Factor por pago en efectivo, p. ej. 0,90.",
    )
    margen_ganancia_bulto = models.DecimalField(
        max_digits=8, decimal_places=4, default=Decimal("1"), help_text="Factor por bulto cerrado."
    )
    # Un precio que cambia más que esto (o ×10, ×100…) no se aplica solo: lo ve una persona.
    umbral_sospechoso = models.DecimalField(
        "umbral de cambio sospechoso",
        max_digits=6,
        decimal_places=4,
        default=Decimal("0.30"),
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text="Fracción: 0,30 retiene los precios que suben o bajan más de 30 %.",
    )

    class Meta:
        ordering = ["nombre"]
        verbose_name_plural = "proveedores"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(abreviatura__regex=r"^[A-Z0-9]+$"),
                name="abreviatura_en_mayusculas",
            )
        ]

    def __str__(self) -> str:
        return f"{self.nombre} ({self.abreviatura})"

    def save(self, *args, **kwargs) -> None:
        self.abreviatura = self.abreviatura.strip().upper()
        super().save(*args, **kwargs)
