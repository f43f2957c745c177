"""Las dos alternativas que alguien elegiría en vez del importador, sobre los mismos modelos.

- `fila_a_fila`: el importador que se escribe en una tarde con el ORM: por cada fila
  `filter().first()` y después `save()` o `create()`, todo en una transacción.
- `import_export`: django-import-export 4 (`ModelResource.import_data` con
  `use_bulk=True`), identificando cada precio por (proveedor, código).

Las dos reciben el CSV ya sin el banner y con el precio convertido a Decimal: no pagan
la lectura de la planilla ni la normalización, así que las proporciones a favor del
importador son conservadoras.
"""

import csv
from decimal import Decimal
from pathlib import Path

from django.db import transaction

from importaciones.normalizacion import clave_codigo
from precios.models import PrecioDeLista
from proveedores.models import Proveedor


def leer_csv(ruta: Path, filas: int) -> list[tuple[str, str, str, Decimal]]:
    """Las primeras `filas` filas de datos del CSV del bench (banner de 2 líneas + encabezado)."""
    with ruta.open(encoding="utf-8", newline="") as origen:
        lector = csv.reader(origen, delimiter=";")
        for _ in range(3):
            next(lector)
        datos = []
        for codigo, descripcion, marca, precio in lector:
            datos.append((codigo, descripcion, marca, Decimal(precio.replace(",", "."))))
            if len(datos) >= filas:
                break
    return datos


def fila_a_fila(proveedor: Proveedor, datos: list[tuple[str, str, str, Decimal]]) -> None:
    with transaction.atomic():
        for codigo, descripcion, marca, precio in datos:
            existente = PrecioDeLista.objects.filter(proveedor=proveedor, codigo=codigo).first()
            if existente:
                existente.descripcion = descripcion
                existente.marca = marca
                existente.precio = precio
                existente.save()
            else:
                PrecioDeLista.objects.create(
                    proveedor=proveedor,
                    codigo=codigo,
                    codigo_clave=clave_codigo(codigo),
                    descripcion=descripcion,
                    marca=marca,
                    precio=precio,
                )


def import_export(proveedor: Proveedor, datos: list[tuple[str, str, str, Decimal]]) -> None:
    import tablib
    from import_export import fields, resources, widgets

    class RecursoPrecio(resources.ModelResource):
        proveedor = fields.Field(
            attribute="proveedor",
            column_name="proveedor",
            widget=widgets.ForeignKeyWidget(Proveedor),
        )
        codigo = fields.Field(attribute="codigo", column_name="Codigo")
        codigo_clave = fields.Field(attribute="codigo_clave", column_name="codigo_clave")
        descripcion = fields.Field(attribute="descripcion", column_name="Descripcion")
        marca = fields.Field(attribute="marca", column_name="Marca")
        precio = fields.Field(
            attribute="precio", column_name="Precio", widget=widgets.DecimalWidget()
        )

        class Meta:
            model = PrecioDeLista
            fields = ("proveedor", "codigo", "codigo_clave", "descripcion", "marca", "precio")
            import_id_fields = ("proveedor", "codigo")
            use_bulk = True
            batch_size = 1000

    conjunto = tablib.Dataset(
        *(
            (proveedor.pk, codigo, clave_codigo(codigo), descripcion, marca, str(precio))
            for codigo, descripcion, marca, precio in datos
        ),
        headers=["proveedor", "Codigo", "codigo_clave", "Descripcion", "Marca", "Precio"],
    )
    resultado = RecursoPrecio().import_data(conjunto, dry_run=False, raise_errors=True)
    assert not resultado.has_errors() and not resultado.has_validation_errors()
