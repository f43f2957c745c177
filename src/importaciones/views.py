from django.contrib import messages
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from core_config.permisos import staff_requerido
from core_config.subidas import subida_excedida
from proveedores.models import Proveedor

from . import informe, services
from .exportacion import descartes_a_xlsx
from .forms import ETIQUETAS, MapeoHojaForm, SubidaForm
from .models import ArchivoPendiente, Subida
from .planillas import ErrorPlanilla, letra_columna


@staff_requerido
def inicio(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = SubidaForm(request.POST, request.FILES, excedida=subida_excedida(request))
        if form.is_valid():
            archivo = form.cleaned_data["archivo"]
            try:
                with transaction.atomic():
                    proveedor = form.obtener_proveedor()
                    subida, _hojas = services.subir_planilla(
                        proveedor, archivo, archivo.name, request.user
                    )
            except ErrorPlanilla as error:
                form.add_error("archivo", str(error))
            else:
                return redirect("importaciones:mapeo", subida_id=subida.pk)
    else:
        form = SubidaForm(initial={"proveedor": request.GET.get("proveedor")})
    recientes = ArchivoPendiente.objects.select_related("proveedor").order_by(
        "-fecha_subida", "-id"
    )
    return render(
        request,
        "importaciones/inicio.html",
        {
            "form": form,
            "recientes": recientes[:15],
            "en_curso": ArchivoPendiente.objects.en_curso().count(),
        },
    )


@staff_requerido
def mapeo(request: HttpRequest, subida_id: int) -> HttpResponse:
    subida = get_object_or_404(Subida.objects.select_related("proveedor"), pk=subida_id)
    try:
        propuestas = services.vista_previa(subida)
    except ErrorPlanilla as error:
        messages.error(request, f"No se pudo leer «{subida.nombre_original}»: {error}")
        return redirect("importaciones:inicio")

    formularios = []
    for indice, propuesta in enumerate(propuestas):
        inicial = {
            "importar": propuesta.completa,
            "fila_encabezado": propuesta.mapeo["fila_encabezado"],
            "sin_codigo": propuesta.mapeo.get("sin_codigo", False),
            **propuesta.mapeo["columnas"],
        }
        formularios.append(
            MapeoHojaForm(
                request.POST or None, prefix=f"hoja{indice}", initial=inicial, hoja=propuesta.hoja
            )
        )

    if request.method == "POST" and all(f.is_valid() for f in formularios):
        elecciones = {f.hoja.nombre: f.mapeo() for f in formularios if f.cleaned_data["importar"]}
        if elecciones:
            archivos = services.confirmar_importacion(subida, elecciones)
            messages.success(
                request,
                f"Se encolaron {len(archivos)} hoja(s) de «{subida.nombre_original}»: "
                "se procesan en segundo plano.",
            )
            return redirect("importaciones:cola", proveedor_id=subida.proveedor_id)
        messages.error(request, "Marcá al menos una hoja para importar.")

    hojas = [
        {
            "form": form,
            "propuesta": propuesta,
            "letras": [letra_columna(i) for i in range(propuesta.hoja.ancho)],
            "campos": [form[campo] for campo in ETIQUETAS],
        }
        for form, propuesta in zip(formularios, propuestas, strict=True)
    ]
    return render(request, "importaciones/mapeo.html", {"subida": subida, "hojas": hojas})


def _archivos_de(proveedor: Proveedor):
    return ArchivoPendiente.objects.filter(proveedor=proveedor).order_by("-fecha_subida", "-id")


@staff_requerido
def cola(request: HttpRequest, proveedor_id: int) -> HttpResponse:
    proveedor = get_object_or_404(Proveedor, pk=proveedor_id)
    pagina = Paginator(_archivos_de(proveedor), 20).get_page(request.GET.get("pagina"))
    contexto = {
        "proveedor": proveedor,
        "pagina": pagina,
        "en_curso": _archivos_de(proveedor).en_curso().exists(),
    }
    if request.GET.get("parcial"):
        return render(request, "importaciones/_cola.html", contexto)
    return render(request, "importaciones/cola.html", contexto)


@staff_requerido
@require_POST
def procesar_ahora(request: HttpRequest) -> HttpResponse:
    if services.encolar_procesamiento():
        messages.success(request, "Se pidió al worker que procese los archivos pendientes.")
    else:
        messages.error(
            request,
            "El broker no está disponible: los archivos siguen pendientes y se procesan "
            "cuando vuelva el worker.",
        )
    return redirect(request.POST.get("volver") or "importaciones:inicio")


@staff_requerido
def archivo(request: HttpRequest, archivo_id: int) -> HttpResponse:
    """Informe de un archivo: qué se leyó, qué se descartó y qué cambió contra la lista anterior."""
    archivo = get_object_or_404(
        ArchivoPendiente.objects.select_related("proveedor", "subida"), pk=archivo_id
    )
    return render(
        request,
        "importaciones/archivo.html",
        {
            "archivo": archivo,
            "histograma": informe.histograma(archivo),
            "sospechosos": informe.sospechosos(archivo)[: informe.MOSTRAR],
            "cambios": informe.cambios(archivo).order_by("precio_lista__codigo_clave")[
                : informe.MOSTRAR
            ],
            "nuevos": informe.nuevos(archivo)[: informe.MOSTRAR],
            "mostrar": informe.MOSTRAR,
        },
    )


@staff_requerido
def descartes(request: HttpRequest, archivo_id: int) -> FileResponse:
    archivo = get_object_or_404(ArchivoPendiente, pk=archivo_id)
    if not archivo.ruta_descartes:
        raise Http404("Este archivo no tiene filas descartadas.")
    with default_storage.open(archivo.ruta_descartes, "rb") as csv_descartes:
        planilla = descartes_a_xlsx(csv_descartes)
    return FileResponse(
        planilla,
        as_attachment=True,
        filename=f"descartadas-{archivo.pk}-{archivo.hoja_origen}.xlsx",
    )


@staff_requerido
@require_POST
def aplicar_igual(request: HttpRequest, archivo_id: int) -> HttpResponse:
    if services.aplicar_igual(archivo_id):
        messages.success(request, "Se vuelve a procesar aplicando los precios tal como vienen.")
    else:
        messages.info(request, "Ese archivo ya no estaba a revisar.")
    return redirect("importaciones:archivo", archivo_id=archivo_id)
