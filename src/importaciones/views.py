from decimal import Decimal

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from core_config.permisos import staff_requerido
from core_config.subidas import subida_excedida
from precios.models import Moneda
from proveedores.models import Proveedor

from . import informe, revision, services
from .exportacion import planilla_xlsx
from .forms import ETIQUETAS, MapeoHojaForm, SubidaForm
from .interpretacion import REPARADA, SIN_CODIGO, FilaPrevia
from .lectores import Celda, ErrorPlanilla, HojaPrevia, indice_columna, letra_columna
from .models import ArchivoPendiente, Subida
from .normalizacion import texto_de_celda
from .propuestas import (
    FILAS_INTERPRETADAS,
    HojaPropuesta,
    conflictos_entre_hojas,
    filas_interpretadas,
    vista_previa,
)

# La tabla de celdas de cada hoja en la página de columnas: a lo sumo estas filas, alrededor
# del encabezado (la vista previa lee más, para mostrar ~20 filas interpretadas debajo).
FILAS_CRUDAS = 30


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
        propuestas = vista_previa(subida)
    except ErrorPlanilla as error:
        messages.error(request, f"No se pudo leer «{subida.nombre_original}»: {error}")
        return redirect("importaciones:inicio")

    formularios = []
    for indice, propuesta in enumerate(propuestas):
        inicial = {
            "importar": propuesta.importar,
            "fila_encabezado": propuesta.mapeo["fila_encabezado"],
            "sin_codigo": propuesta.mapeo.get("sin_codigo", False),
            **propuesta.mapeo["columnas"],
        }
        formularios.append(
            MapeoHojaForm(
                request.POST or None, prefix=f"hoja{indice}", initial=inicial, hoja=propuesta.hoja
            )
        )

    conflictos = []
    if request.method == "POST" and all(f.is_valid() for f in formularios):
        elecciones = {f.hoja.nombre: f.mapeo() for f in formularios if f.cleaned_data["importar"]}
        if not request.POST.get("importar_igual"):
            # El mismo código con dos precios en dos hojas elegidas: que una persona lo vea
            # antes de que la última hoja pise a la otra.
            conflictos = conflictos_entre_hojas(subida, propuestas, elecciones)
        if elecciones and not conflictos:
            omitidas = {
                p.hoja.nombre: p.mapeo for p in propuestas if p.hoja.nombre not in elecciones
            }
            archivos = services.confirmar_importacion(subida, elecciones, omitidas=omitidas)
            messages.success(
                request,
                f"Se encolaron {len(archivos)} hoja(s) de «{subida.nombre_original}»: "
                "se procesan en segundo plano.",
            )
            return redirect("importaciones:cola", proveedor_id=subida.proveedor_id)
        elif not elecciones:
            messages.error(request, "Marcá al menos una hoja para importar.")

    hojas = []
    for indice, (form, propuesta) in enumerate(zip(formularios, propuestas, strict=True)):
        elegido = _mapeo_elegido(form, propuesta)
        hojas.append(
            {
                "form": form,
                "propuesta": propuesta,
                "indice": indice,
                "letras": [letra_columna(i) for i in range(propuesta.hoja.ancho)],
                "campos": [form[campo] for campo in ETIQUETAS],
                "fila_encabezado": elegido["fila_encabezado"],
                "crudas": _filas_crudas(propuesta.hoja, elegido["fila_encabezado"]),
                "interpretadas": _interpretadas(propuesta, elegido, subida.formato),
            }
        )
    return render(
        request,
        "importaciones/mapeo.html",
        {
            "subida": subida,
            "hojas": hojas,
            "cantidad": FILAS_INTERPRETADAS,
            "conflictos": conflictos,
        },
    )


@staff_requerido
@require_GET
def interpretadas(request: HttpRequest, subida_id: int, indice: int) -> HttpResponse:
    """La tabla «Así se va a importar» de una hoja con lo que se está eligiendo en la página
    de columnas (los mismos campos que MapeoHojaForm, con su prefijo `hoja<indice>-`)."""
    subida = get_object_or_404(Subida.objects.select_related("proveedor"), pk=subida_id)
    plantilla = "importaciones/_interpretadas.html"
    try:
        propuestas = vista_previa(subida)
    except ErrorPlanilla as error:
        aviso = f"No se pudo leer «{subida.nombre_original}»: {error}"
        return render(request, plantilla, {"interpretadas": {"filas": [], "aviso": aviso}})
    if indice >= len(propuestas):
        raise Http404("La planilla no tiene esa hoja.")
    propuesta = propuestas[indice]
    datos = request.GET.copy()
    # Sin «importar» el formulario no exige las columnas obligatorias: una lista a medio
    # elegir también se puede ver (sin precio, por ejemplo, todo se descarta y dice por qué).
    datos.pop(f"hoja{indice}-importar", None)
    form = MapeoHojaForm(datos, prefix=f"hoja{indice}", hoja=propuesta.hoja)
    if not form.is_valid():
        aviso = " ".join(
            f"{form.fields[campo].label}: {' '.join(errores)}"
            for campo, errores in form.errors.items()
            if campo in form.fields
        )
        return render(
            request, plantilla, {"interpretadas": {"filas": [], "aviso": aviso}}, status=400
        )
    return render(
        request,
        plantilla,
        {"interpretadas": _interpretadas(propuesta, form.mapeo(), subida.formato)},
    )


def _mapeo_elegido(form: MapeoHojaForm, propuesta: HojaPropuesta) -> dict:
    """Lo que la persona mandó (si la fila de encabezado se puede leer), o lo propuesto."""
    if not form.is_bound or form.has_error("fila_encabezado"):
        return propuesta.mapeo
    return form.mapeo()


def _filas_crudas(hoja: HojaPrevia, fila_encabezado: int) -> list[tuple[int, list[Celda]]]:
    """(número, celdas) de la tabla de celdas: FILAS_CRUDAS filas desde 5 arriba del encabezado."""
    desde = max(1, min(fila_encabezado - 5, len(hoja.filas) - FILAS_CRUDAS + 1))
    return list(enumerate(hoja.filas[desde - 1 : desde - 1 + FILAS_CRUDAS], start=desde))


def _interpretadas(propuesta: HojaPropuesta, mapeo: dict, formato: str) -> dict:
    """Contexto de _interpretadas.html: las primeras filas de datos como se van a importar."""
    try:
        filas = filas_interpretadas(propuesta.hoja, mapeo, formato, propuesta.separador_guardado)
    except ErrorPlanilla as error:
        return {"filas": [], "aviso": str(error)}
    return {
        "filas": [_fila_para_mostrar(fila, propuesta.hoja, mapeo) for fila in filas],
        "aviso": "",
    }


def _fila_para_mostrar(fila: FilaPrevia, hoja: HojaPrevia, mapeo: dict) -> dict:
    if fila.datos is None:
        # Lo que dicen las celdas elegidas, para reconocer la fila que no se importa.
        celdas = hoja.filas[fila.numero - 1]
        crudas = {}
        for campo in ("codigo", "descripcion", "precio"):
            letra = mapeo["columnas"].get(campo)
            if letra and not (campo == "codigo" and mapeo.get("sin_codigo")):
                indice = indice_columna(letra)
                crudas[campo] = texto_de_celda(celdas[indice]) if indice < len(celdas) else ""
        return {
            "numero": fila.numero,
            "descartada": True,
            **crudas,
            "observaciones": [f"No se importa: {fila.motivo}"],
        }
    datos = fila.datos
    observaciones = [fila.motivo] if fila.motivo else []
    if datos["observacion"] == SIN_CODIGO:
        observaciones.append("sin código: se identificó por descripción")
    elif datos["observacion"] == REPARADA:
        observaciones.append(f"registro reparado: {datos['detalle']}")
    return {
        "numero": fila.numero,
        "descartada": False,
        "codigo": datos["codigo"],
        "descripcion": datos["descripcion"],
        "simbolo": Moneda(datos["moneda"]).label,
        "precio": datos["precio"],
        "iva": _porcentaje(datos["iva"]),
        "bulto": datos["bulto"],
        "observaciones": observaciones,
    }


def _porcentaje(fraccion: Decimal) -> str:
    """0.21 → "21 %", 0.105 → "10,5 %" (sin ceros de más)."""
    texto = f"{fraccion * 100:f}"
    if "." in texto:
        texto = texto.rstrip("0").rstrip(".")
    return f"{texto.replace('.', ',')} %"


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


def _archivo_o_404(archivo_id: int) -> ArchivoPendiente:
    return get_object_or_404(
        ArchivoPendiente.objects.select_related("proveedor", "subida"), pk=archivo_id
    )


def _lista_o_404(nombre: str) -> informe.Lista:
    if nombre not in informe.LISTAS:
        raise Http404("No hay una lista con ese nombre en el informe.")
    return informe.LISTAS[nombre]


@staff_requerido
def archivo(request: HttpRequest, archivo_id: int) -> HttpResponse:
    """Informe de un archivo: qué se leyó, qué se descartó y qué cambió contra la lista anterior."""
    archivo = _archivo_o_404(archivo_id)
    return render(
        request,
        "importaciones/archivo.html",
        {
            "archivo": archivo,
            "histograma": informe.histograma(archivo) if archivo.actualizados else [],
            "tablas": {
                nombre: informe.muestra(lista, archivo) for nombre, lista in informe.LISTAS.items()
            },
            "otro_articulo": informe.repetidas_con_otro_articulo(archivo),
            "mostrar": informe.MOSTRAR,
            "umbral": f"{archivo.proveedor.umbral_sospechoso * 100:.0f}",
            "motivo_para_no_deshacer": revision.motivo_para_no_deshacer(archivo),
        },
    )


@staff_requerido
@require_POST
def retenidos(request: HttpRequest, archivo_id: int) -> HttpResponse:
    """Aplicar o descartar cambios retenidos: los elegidos, o todos."""
    archivo = _archivo_o_404(archivo_id)
    accion = request.POST.get("accion", "")
    elegidos = None if accion.endswith("_todos") else request.POST.getlist("retenido")
    if elegidos is not None and not elegidos:
        messages.error(
            request, "Elegí al menos un cambio, o usá «Aplicar todos» / «Descartar todos»."
        )
    elif accion.startswith("aplicar"):
        aplicados = revision.aplicar_retenidos(archivo.pk, elegidos, request.user)
        messages.success(request, f"Se aplicaron {aplicados} cambio(s) de precio.")
    elif accion.startswith("descartar"):
        descartados = revision.descartar_retenidos(archivo.pk, elegidos, request.user)
        messages.success(
            request, f"Se descartaron {descartados} cambio(s): quedó el precio anterior."
        )
    volver = request.POST.get("volver", "")
    if url_has_allowed_host_and_scheme(volver, allowed_hosts={request.get_host()}):
        return redirect(volver)
    return redirect("importaciones:archivo", archivo_id=archivo.pk)


@staff_requerido
@require_POST
def deshacer(request: HttpRequest, archivo_id: int) -> HttpResponse:
    try:
        resultado = revision.deshacer_importacion(archivo_id)
    except revision.NoSePuedeDeshacer as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            f"Importación deshecha: {resultado['restaurados']} precio(s) volvieron a su valor "
            f"anterior y se borraron {resultado['borrados']} artículo(s) nuevos.",
        )
    return redirect("importaciones:archivo", archivo_id=archivo_id)


@staff_requerido
def lista(request: HttpRequest, archivo_id: int, nombre: str) -> HttpResponse:
    """Una lista del informe entera, de a MOSTRAR filas por página."""
    archivo = _archivo_o_404(archivo_id)
    lista = _lista_o_404(nombre)
    pagina = Paginator(lista.filas(archivo), informe.MOSTRAR).get_page(request.GET.get("pagina"))
    return render(
        request,
        "importaciones/lista.html",
        {
            "archivo": archivo,
            "pagina": pagina,
            "tabla": informe.tabla(lista, archivo, pagina.object_list, pagina.paginator.count),
        },
    )


@staff_requerido
def lista_xlsx(request: HttpRequest, archivo_id: int, nombre: str) -> FileResponse:
    archivo = _archivo_o_404(archivo_id)
    lista = _lista_o_404(nombre)
    return FileResponse(
        planilla_xlsx([informe.hoja(lista, archivo)]),
        as_attachment=True,
        filename=f"{nombre}-{archivo.pk}-{archivo.hoja_origen}.xlsx",
    )


@staff_requerido
def descartes(request: HttpRequest, archivo_id: int) -> FileResponse:
    """Las filas descartadas y, en otra hoja, las repetidas: todo lo que no se importó."""
    archivo = get_object_or_404(ArchivoPendiente, pk=archivo_id)
    if not archivo.ruta_descartes and not archivo.codigos_repetidos:
        raise Http404("Este archivo no tiene filas descartadas ni repetidas.")
    hojas = [informe.hoja(informe.LISTAS[nombre], archivo) for nombre in informe.DESCARTES]
    return FileResponse(
        planilla_xlsx(hojas),
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
