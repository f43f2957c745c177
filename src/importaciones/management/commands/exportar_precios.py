import csv
from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.models import F
from django.db.models.functions import Collate

from importaciones.exportacion import texto_seguro
from precios.models import PrecioDeLista
from proveedores.models import Proveedor

# La moneda va como código ISO (ARS, USD, EUR): el precio está en esa moneda, sin convertir.
ENCABEZADO = (
    "codigo",
    "descripcion",
    "marca",
    "precio",
    "moneda",
    "bulto",
    "iva",
    "codigo_barras",
)


def texto_decimal(valor: Decimal) -> str:
    """Punto decimal, al menos dos decimales y sin ceros de relleno (1045.00, 0.55145)."""
    if valor == valor.quantize(Decimal("0.01")):
        return f"{valor.quantize(Decimal('0.01')):f}"
    return f"{valor.normalize():f}"


class Command(BaseCommand):
    help = "Exporta los precios de lista de un proveedor (CSV por la salida estándar, o XLSX)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--proveedor", required=True, help="Abreviatura, p. ej. VAL.")
        parser.add_argument("--formato", choices=["csv", "xlsx"], default="csv")
        parser.add_argument("--salida", help="Archivo de salida (por defecto, la salida estándar).")

    def handle(self, *args, proveedor: str, formato: str, salida: str | None, **opciones) -> None:
        proveedor_obj = Proveedor.objects.filter(abreviatura=proveedor.strip().upper()).first()
        if proveedor_obj is None:
            raise CommandError(f"No hay un proveedor con abreviatura {proveedor.upper()}.")
        if formato == "xlsx" and not salida:
            raise CommandError("Para XLSX indicá el archivo con --salida.")
        # Orden por bytes, igual en SQLite y PostgreSQL (sin depender de la collation). Los
        # artículos sin código empatan en "": los desempata su clave, así dos exportaciones
        # de la misma lista salen iguales.
        collation = "C" if connection.vendor == "postgresql" else "BINARY"
        orden = (Collate(F("codigo"), collation), Collate(F("codigo_clave"), collation))
        # Todo el texto viene de planillas de proveedores: se escapa lo que una planilla
        # ejecutaría como fórmula (=, +, -, @, tab, CR, LF al principio). El código también,
        # porque es texto; uno como "-123" o "+5" queda igual (un número con signo no es una
        # fórmula). Precio, bulto e IVA son números y se escriben como tales; la moneda es
        # uno de los códigos de Moneda, nunca texto del proveedor.
        filas = (
            (
                texto_seguro(p.codigo),
                texto_seguro(p.descripcion),
                texto_seguro(p.marca),
                p.precio,
                p.moneda,
                p.bulto,
                p.iva,
                texto_seguro(p.codigo_barras),
            )
            for p in PrecioDeLista.objects.filter(proveedor=proveedor_obj)
            .order_by(*orden)
            .iterator(chunk_size=5000)
        )
        if formato == "xlsx":
            cantidad = self._xlsx(filas, salida)
        elif salida:
            with open(salida, "w", encoding="utf-8", newline="") as destino:
                cantidad = self._csv(filas, destino)
        else:
            cantidad = self._csv(filas, self.stdout)
        if salida:
            self.stdout.write(f"Exportados {cantidad} precios a {salida}.")

    def _csv(self, filas, destino) -> int:
        # Todo texto entre comillas y los números sin ellas. Con QUOTE_MINIMAL un CR dentro
        # de una descripción quedaba sin comillas y partía la fila: lo que seguía se leía como
        # otra línea, que podía empezar con "=".
        escritor = csv.writer(destino, lineterminator="\n", quoting=csv.QUOTE_NONNUMERIC)
        escritor.writerow(ENCABEZADO)
        cantidad = 0
        for codigo, descripcion, marca, precio, moneda, bulto, iva, barras in filas:
            escritor.writerow(
                (
                    codigo,
                    descripcion,
                    marca,
                    # Un Decimal armado del texto se escribe tal cual (1045.00, 0.55145).
                    Decimal(texto_decimal(precio)),
                    moneda,
                    bulto,
                    Decimal(f"{iva.normalize():f}"),
                    barras,
                )
            )
            cantidad += 1
        return cantidad

    def _xlsx(self, filas, salida: str) -> int:
        import xlsxwriter

        libro = xlsxwriter.Workbook(salida, {"constant_memory": True, "strings_to_formulas": False})
        hoja = libro.add_worksheet("Precios")
        hoja.write_row(0, 0, ENCABEZADO)
        cantidad = 0
        for cantidad, fila in enumerate(filas, 1):
            codigo, descripcion, marca, precio, moneda, bulto, iva, barras = fila
            hoja.write_string(cantidad, 0, codigo)
            hoja.write_string(cantidad, 1, descripcion)
            hoja.write_string(cantidad, 2, marca)
            hoja.write_number(cantidad, 3, float(precio))
            hoja.write_string(cantidad, 4, moneda)
            hoja.write_number(cantidad, 5, bulto)
            hoja.write_number(cantidad, 6, float(iva))
            hoja.write_string(cantidad, 7, barras)
        libro.close()
        return cantidad
