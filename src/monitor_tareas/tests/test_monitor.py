import time
from datetime import timedelta

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from core_config import celery_app
from importaciones.models import ArchivoPendiente, Subida
from monitor_tareas.models import RegistroTarea
from proveedores.models import Proveedor

pytestmark = pytest.mark.django_db
ESTADO = RegistroTarea.Estado


def urls_del_monitor() -> list[tuple[str, str]]:
    """(método, url) de cada página y acción de /tareas/, sacadas de las URLs del proyecto."""
    resolver = next(
        p
        for p in get_resolver().url_patterns
        if isinstance(p, URLResolver) and p.namespace == "monitor_tareas"
    )
    urls = []
    for patron in resolver.url_patterns:
        assert isinstance(patron, URLPattern)
        kwargs = {"pk": 1} if "pk" in patron.pattern.converters else {}
        url = reverse(f"monitor_tareas:{patron.name}", kwargs=kwargs)
        metodo = "get" if patron.name in ("lista", "estado", "detalle") else "post"
        urls.append((metodo, url))
    return urls


def crear(nombre="importaciones.procesar_pendientes", estado=ESTADO.EXITOSA, **campos):
    campos.setdefault("tarea_id", f"id-{RegistroTarea.objects.count() + 1}")
    return RegistroTarea.objects.create(nombre=nombre, estado=estado, **campos)


def test_sin_sesion_redirige_y_sin_staff_da_403_en_cada_pagina_y_accion(client, django_user_model):
    urls = urls_del_monitor()
    assert len(urls) == 7
    for metodo, url in urls:
        respuesta = getattr(client, metodo)(url)
        assert respuesta.status_code == 302 and "/cuentas/login/" in respuesta.url, url
    client.force_login(django_user_model.objects.create_user("mostrador", password="x-1-y"))
    for metodo, url in urls:
        assert getattr(client, metodo)(url).status_code == 403, url


def test_las_acciones_son_solo_post(cliente_staff):
    registro = crear(estado=ESTADO.FALLIDA)
    for accion in ("reintentar", "cancelar"):
        url = reverse(f"monitor_tareas:{accion}", kwargs={"pk": registro.pk})
        assert cliente_staff.get(url).status_code == 405
    assert cliente_staff.get("/tareas/purgar/").status_code == 405


def test_pestanas_cuentan_por_estado_y_los_filtros_se_combinan(cliente_staff):
    uno = Proveedor.objects.create(nombre="Uno", abreviatura="UNO")
    dos = Proveedor.objects.create(nombre="Dos", abreviatura="DOS")
    ayer = timezone.now() - timedelta(days=1)
    crear(estado=ESTADO.ENCOLADA, proveedor=uno)
    crear(estado=ESTADO.ACTIVA, proveedor=uno)
    crear(estado=ESTADO.EXITOSA, proveedor=dos, encolada_en=ayer)
    crear(estado=ESTADO.FALLIDA, proveedor=uno, encolada_en=ayer, error="ValueError: x")
    crear(nombre="monitor_tareas.purgar_historial", estado=ESTADO.EXITOSA)

    pagina = cliente_staff.get("/tareas/")
    assert [(c, n) for c, _t, n in pagina.context["pestanas"]] == [
        ("todas", 5),
        ("encoladas", 1),
        ("activas", 1),
        ("finalizadas", 3),
    ]
    finalizadas = cliente_staff.get("/tareas/", {"vista": "finalizadas", "proveedor": uno.pk})
    assert [r.estado for r in finalizadas.context["pagina"]] == ["fallida"]

    fecha = ayer.astimezone(timezone.get_current_timezone()).date().isoformat()
    de_ayer = cliente_staff.get("/tareas/", {"desde": fecha, "hasta": fecha})
    assert {r.estado for r in de_ayer.context["pagina"]} == {"exitosa", "fallida"}
    por_nombre = cliente_staff.get("/tareas/", {"nombre": "monitor_tareas.purgar_historial"})
    assert len(por_nombre.context["pagina"]) == 1
    parcial = cliente_staff.get("/tareas/", {"parcial": 1, "estado": "fallida"}).content.decode()
    assert "ValueError: x" in parcial and "<html" not in parcial


def test_reintentar_dos_veces_manda_una_sola_tarea(
    cliente_staff, django_capture_on_commit_callbacks
):
    registro = crear(estado=ESTADO.FALLIDA, argumentos={"args": [], "kwargs": {"limit": 2}})
    url = reverse("monitor_tareas:reintentar", kwargs={"pk": registro.pk})
    with django_capture_on_commit_callbacks() as envios:
        cliente_staff.post(url)
        cliente_staff.post(url)
    assert len(envios) == 1
    registro.refresh_from_db()
    assert registro.reenviada_como


def test_cancelar_una_encolada_cancela_tambien_su_archivo(cliente_staff, proveedor):
    subida = Subida.objects.create(
        proveedor=proveedor, nombre_original="a.csv", formato="csv", tamano=1
    )
    archivo = ArchivoPendiente.objects.create(
        proveedor=proveedor,
        subida=subida,
        hoja_origen="CSV",
        mapeo={},
        nombre_archivo_origen="a.csv",
    )
    registro = crear(estado=ESTADO.ENCOLADA, archivo=archivo, proveedor=proveedor)
    respuesta = cliente_staff.post(reverse("monitor_tareas:cancelar", kwargs={"pk": registro.pk}))
    assert respuesta.status_code == 302
    registro.refresh_from_db()
    archivo.refresh_from_db()
    assert (registro.estado, archivo.estado) == ("revocada", "cancelado")
    assert RegistroTarea.fue_cancelada(registro.tarea_id)


def test_purgar_borra_solo_terminadas_viejas(cliente_staff):
    viejo = timezone.now() - timedelta(days=40)
    crear(estado=ESTADO.EXITOSA, encolada_en=viejo)
    crear(estado=ESTADO.ENCOLADA, encolada_en=viejo)
    crear(estado=ESTADO.FALLIDA)
    cliente_staff.post("/tareas/purgar/", {"dias": 30})
    assert sorted(RegistroTarea.objects.values_list("estado", flat=True)) == ["encolada", "fallida"]


def test_con_el_broker_caido_la_pagina_avisa_sin_colgarse(cliente_staff, monkeypatch):
    monkeypatch.setattr(celery_app.conf, "broker_url", "redis://127.0.0.1:9/0")
    inicio = time.monotonic()
    contenido = cliente_staff.get("/tareas/estado/").content.decode()
    assert "Broker no disponible" in contenido
    assert time.monotonic() - inicio < 5
