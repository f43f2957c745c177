from pathlib import Path

from django.core.files import File
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from importaciones import reclamo, services
from importaciones.avance import AvanceEnConsola
from importaciones.lectores import ErrorPlanilla
from importaciones.models import ArchivoPendiente
from proveedores.models import Proveedor

CAMPOS_FALTANTES = {"codigo": "código", "descripcion": "descripción", "precio": "precio"}


class Command(BaseCommand):
    help = (
        "Registra una planilla como lo hace la web (configuración guardada o sugerencia por "
        "encabezados) y la encola, o la procesa en el acto con --ahora."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("archivo")
        parser.add_argument("--proveedor", required=True, help="Abreviatura, p. ej. VAL.")
        parser.add_argument("--crear", action="store_true", help="Crear el proveedor si no existe.")
        parser.add_argument("--nombre", help="Nombre del proveedor nuevo (con --crear).")
        parser.add_argument(
            "--hoja", action="append", dest="hojas", help="Hoja a importar (se puede repetir)."
        )
        parser.add_argument(
            "--ahora", action="store_true", help="Procesar en este proceso en vez de encolar."
        )

    def handle(
        self,
        *args,
        archivo: str,
        proveedor: str,
        crear: bool,
        nombre: str | None,
        hojas: list[str] | None,
        ahora: bool,
        **opciones,
    ) -> None:
        ruta = Path(archivo)
        if not ruta.is_file():
            raise CommandError(f"No existe el archivo «{archivo}».")
        abreviatura = proveedor.strip().upper()
        with transaction.atomic():
            proveedor_obj = Proveedor.objects.filter(abreviatura=abreviatura).first()
            if proveedor_obj is None:
                if not crear:
                    raise CommandError(
                        f"No hay un proveedor con abreviatura {abreviatura}. "
                        "Usá --crear --nombre «Nombre» para darlo de alta."
                    )
                proveedor_obj = Proveedor.objects.create(
                    nombre=nombre or abreviatura, abreviatura=abreviatura
                )
            with ruta.open("rb") as contenido:
                try:
                    subida, propuestas = services.subir_planilla(
                        proveedor_obj, File(contenido, name=ruta.name), ruta.name
                    )
                except ErrorPlanilla as error:
                    raise CommandError(f"No se pudo leer «{ruta.name}»: {error}") from error

            elecciones = self._elegir_hojas(propuestas, hojas)
            archivos = services.confirmar_importacion(subida, elecciones, encolar=not ahora)

        if not ahora:
            self.stdout.write(
                f"Encolado(s) {len(archivos)} archivo(s) de {ruta.name} para {abreviatura}."
            )
            return
        con_error = []
        for archivo_pendiente in archivos:
            reclamado = reclamo.reclamar_siguiente(ids=[archivo_pendiente.pk])
            if reclamado is None:
                continue
            avance = AvanceEnConsola(self.stdout)
            resultado = services.procesar_archivo(reclamado, avance)
            avance.terminar()
            self.stdout.write(describir(resultado))
            if resultado.estado == ArchivoPendiente.Estado.ERROR:
                con_error.append(f"hoja «{resultado.hoja_origen}»: {resultado.mensaje_error}")
        if con_error:
            raise CommandError("No se pudo importar: " + "; ".join(con_error))

    def _elegir_hojas(self, propuestas, hojas: list[str] | None) -> dict[str, dict]:
        por_nombre = {p.hoja.nombre: p for p in propuestas}
        if hojas:
            faltantes = [h for h in hojas if h not in por_nombre]
            if faltantes:
                raise CommandError(
                    f"La planilla no tiene la(s) hoja(s) {', '.join(faltantes)}. "
                    f"Hojas disponibles: {', '.join(por_nombre)}."
                )
            elegidas = [por_nombre[h] for h in hojas]
        else:
            # Las que la web propone marcadas: sin las copias de otra hoja del libro.
            elegidas = [p for p in propuestas if p.importar]
            if not elegidas:
                raise CommandError(
                    "No se reconocieron las columnas de código, descripción y precio en ninguna "
                    "hoja. Elegilas una vez en la web (/importaciones/) y se recordarán."
                )
        for propuesta in elegidas:
            if not propuesta.completa:
                faltan = [
                    etiqueta
                    for campo, etiqueta in CAMPOS_FALTANTES.items()
                    if not propuesta.mapeo["columnas"].get(campo)
                    and not (campo == "codigo" and propuesta.mapeo.get("sin_codigo"))
                ]
                raise CommandError(
                    f"En la hoja «{propuesta.hoja.nombre}» no se encontró la columna de "
                    f"{', '.join(faltan)}. Elegila una vez en la web (/importaciones/)."
                )
        return {p.hoja.nombre: p.mapeo for p in elegidas}


def describir(archivo: ArchivoPendiente) -> str:
    if archivo.estado == ArchivoPendiente.Estado.ERROR:
        return f"✗ {archivo.nombre_archivo_origen} [{archivo.hoja_origen}]: {archivo.mensaje_error}"
    return (
        f"✓ {archivo.nombre_archivo_origen} [{archivo.hoja_origen}] → "
        f"{archivo.proveedor.abreviatura}: "
        f"{archivo.filas_validas} precios ({archivo.creados} nuevos, {archivo.actualizados} "
        f"actualizados, {archivo.sin_cambios} sin cambios), {archivo.filas_descartadas} filas "
        f"descartadas, {archivo.codigos_repetidos} códigos repetidos (quedó la primera fila), "
        f"{archivo.por_descripcion} sin código (identificados por descripción), "
        f"{archivo.filas_reparadas} registros reparados."
    )
