import json

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from core_config.permisos import staff_requerido
from importaciones import services as importaciones
from importaciones.models import ArchivoPendiente

from . import services
from .broker import estado_broker, ids_en_broker
from .forms import FiltroTareasForm, PurgaForm
from .models import RegistroTarea

# Pestaña: (título, estados que cuenta, método del QuerySet que la filtra).
VISTAS = {
    "todas": ("Todas", None, "all"),
    "encoladas": ("Encoladas", [RegistroTarea.Estado.ENCOLADA], "encoladas"),
    "activas": ("Activas", list(RegistroTarea.ACTIVAS), "activas"),
    "finalizadas": ("Finalizadas", list(RegistroTarea.FINALIZADAS), "finalizadas"),
}


class PaginadorConTotal(Paginator):
    """El total ya sale del conteo por estado: no hace falta otro COUNT sobre el historial."""

    def __init__(self, *args, total: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.total = total

    @property
    def count(self) -> int:
        return self.total


def _marcar_perdidas(registros: list[RegistroTarea]) -> None:
    """Sólo si hay encoladas viejas se le pregunta al broker (con timeout corto)."""
    ahora = timezone.now()
    candidatas = [r for r in registros if r.perdida(set(), ahora)]
    ids = ids_en_broker() if candidatas else None
    for registro in registros:
        registro.es_perdida = registro in candidatas and registro.perdida(ids, ahora)


@staff_requerido
def lista(request: HttpRequest) -> HttpResponse:
    filtro = FiltroTareasForm(request.GET)
    filtradas = filtro.filtrar(RegistroTarea.objects.all())
    vista = request.GET.get("vista") if request.GET.get("vista") in VISTAS else "todas"
    conteo = dict(filtradas.order_by().values_list("estado").annotate(n=Count("id")))
    pestanas = [
        (clave, titulo, sum(conteo.get(e, 0) for e in estados) if estados else sum(conteo.values()))
        for clave, (titulo, estados, _metodo) in VISTAS.items()
    ]
    registros = getattr(filtradas, VISTAS[vista][2])()
    pagina = Paginator(registros.select_related("proveedor", "archivo"), 50).get_page(
        request.GET.get("pagina")
    )
    _marcar_perdidas(list(pagina))
    parametros = request.GET.copy()
    parametros.pop("pagina", None)
    parametros.pop("parcial", None)
    contexto = {
        "filtro": filtro,
        "pagina": pagina,
        "vista": vista,
        "pestanas": pestanas,
        "conteo": conteo,
        "parametros": parametros,
        "ahora": timezone.now(),
        "purga": PurgaForm(),
    }
    if request.GET.get("parcial"):
        return render(request, "monitor_tareas/_lista.html", contexto)
    return render(request, "monitor_tareas/lista.html", contexto)


@staff_requerido
def estado(request: HttpRequest) -> HttpResponse:
    return render(request, "monitor_tareas/_estado.html", {"estado": estado_broker()})


@staff_requerido
def detalle(request: HttpRequest, pk: int) -> HttpResponse:
    registro = get_object_or_404(
        RegistroTarea.objects.select_related("proveedor", "archivo__proveedor"), pk=pk
    )
    _marcar_perdidas([registro])
    reenvio = RegistroTarea.objects.filter(tarea_id=registro.reenviada_como).first()
    # Una tarea sin archivo propio (barrido, "procesar ahora") lista los que procesó.
    otros = [i for i in registro.estados_de_archivos() if i != registro.archivo_id]
    archivos = ArchivoPendiente.objects.filter(pk__in=otros).select_related("proveedor")
    return render(
        request,
        "monitor_tareas/detalle.html",
        {
            "registro": registro,
            "reenvio": reenvio,
            "archivos": archivos,
            "argumentos": json.dumps(registro.argumentos, indent=2, ensure_ascii=False),
            "resultado": json.dumps(registro.resultado, indent=2, ensure_ascii=False),
        },
    )


@staff_requerido
@require_POST
def reintentar(request: HttpRequest, pk: int) -> HttpResponse:
    registro = get_object_or_404(RegistroTarea, pk=pk)
    if nuevo := services.reenviar(registro):
        messages.success(request, f"Se reenvió la tarea (nuevo id {nuevo}).")
    else:
        messages.info(request, "Esa tarea ya se reenvió o todavía está en curso.")
    return redirect("monitor_tareas:detalle", pk=pk)


@staff_requerido
@require_POST
def cancelar(request: HttpRequest, pk: int) -> HttpResponse:
    registro = get_object_or_404(RegistroTarea, pk=pk)
    if services.cancelar(registro):
        messages.success(request, "Tarea cancelada: no se va a ejecutar.")
    else:
        messages.info(request, "La tarea ya había empezado o terminado: no se puede cancelar.")
    return redirect("monitor_tareas:detalle", pk=pk)


@staff_requerido
@require_POST
def procesar_ahora(request: HttpRequest) -> HttpResponse:
    if importaciones.encolar_procesamiento():
        messages.success(request, "Se encoló el procesamiento de los archivos pendientes.")
    else:
        messages.error(request, "Broker no disponible: no se pudo encolar. Probá en un rato.")
    return redirect("monitor_tareas:lista")


@staff_requerido
@require_POST
def purgar(request: HttpRequest) -> HttpResponse:
    form = PurgaForm(request.POST)
    if form.is_valid():
        borradas = services.purgar(form.cleaned_data["dias"])
        messages.success(request, f"Se borraron {borradas} tareas terminadas del historial.")
    else:
        messages.error(request, "Indicá una cantidad de días entre 1 y 3650.")
    return redirect("monitor_tareas:lista")
