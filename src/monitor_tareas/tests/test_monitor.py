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


def archivo_de(
    proveedor: Proveedor,
    estado: str = "procesado",
    nombre: str = "tornillo.xlsx",
    hoja: str = "Herramientas",
    **campos,
) -> ArchivoPendiente:
    subida = Subida.objects.create(
        proveedor=proveedor, nombre_original=nombre, formato="xlsx", tamano=1
    )
    return ArchivoPendiente.objects.create(
        proveedor=proveedor,
        subida=subida,
        hoja_origen=hoja,
        mapeo={},
        nombre_archivo_origen=nombre,
        estado=estado,
        **campos,
    )


def importacion(*archivos: ArchivoPendiente, **campos) -> RegistroTarea:
    """Lo que deja el worker: la tarea "salió bien" y devuelve el resumen de cada archivo."""
    return crear(resultado=[a.resumen() for a in archivos], **campos)


def test_un_archivo_que_fallo_en_segundo_plano_no_figura_exitosa(cliente_staff, proveedor):
    archivo = archivo_de(proveedor, "error", mensaje_error="La hoja no tiene filas con precio.")
    registro = importacion(archivo, archivo=archivo, proveedor=proveedor)

    lista = cliente_staff.get("/tareas/", {"parcial": 1}).content.decode()
    fila = lista[lista.index(f'id="tarea-{registro.pk}"') :]
    fila = fila[: fila.index("</tr>")]
    assert 'class="estado con-errores"' in fila and ">Con errores</span>" in fila
    assert "Exitosa" not in fila
    assert 'title="Terminó: 1 archivo con error."' in fila

    detalle = cliente_staff.get(f"/tareas/{registro.pk}/").content.decode()
    h1 = detalle[detalle.index("<h1>") : detalle.index("</h1>")]
    assert "Con errores" in h1 and "Exitosa" not in h1
    assert "Terminó: 1 archivo con error." in detalle
    assert "La hoja no tiene filas con precio." in detalle
    assert "Reintentar" in detalle


def test_un_archivo_que_agoto_sus_intentos_sin_resumen_tampoco_figura_exitosa(proveedor):
    # El reclamo lo deja en error y la tarea no lo devuelve (reclamo.reclamar_siguiente).
    archivo = archivo_de(proveedor, "error")
    registro = crear(resultado=[], archivo=archivo, proveedor=proveedor)
    assert registro.estado_visible.etiqueta == "Con errores"


def test_la_tarea_sin_archivo_propio_cuenta_y_lista_los_archivos_que_proceso(
    cliente_staff, proveedor
):
    bien = archivo_de(proveedor, "procesado", nombre="uno.csv", hoja="CSV")
    revisar = archivo_de(proveedor, "revisar", nombre="dos.csv", hoja="CSV")
    registro = importacion(bien, revisar)
    assert registro.estado_visible == (
        "a-revisar",
        "A revisar",
        "Terminó: 1 archivo a revisar, 1 procesado.",
    )
    detalle = cliente_staff.get(f"/tareas/{registro.pk}/").content.decode()
    assert "Procesamiento de archivos pendientes" in detalle
    for archivo in (bien, revisar):
        assert f'href="/importaciones/archivos/{archivo.pk}/"' in detalle
    assert ">A revisar</span>" in detalle and ">Procesado</span>" in detalle


def test_una_importacion_que_se_aplico_sigue_siendo_exitosa(proveedor):
    archivo = archivo_de(proveedor, "procesado")
    registro = importacion(archivo, archivo=archivo)
    assert registro.estado_visible == ("exitosa", "Exitosa", "")
    assert crear(estado=ESTADO.FALLIDA).estado_visible.etiqueta == "Fallida"


def test_la_pagina_de_la_tarea_habla_de_la_importacion_y_pliega_lo_tecnico(
    cliente_staff, proveedor
):
    archivo = archivo_de(
        proveedor,
        "procesando",
        filas_totales=20_000,
        filas_leidas=5_000,
        iniciado_en=timezone.now() - timedelta(seconds=60),
    )
    registro = crear(
        estado=ESTADO.ACTIVA,
        archivo=archivo,
        proveedor=proveedor,
        argumentos={"args": [], "kwargs": {"archivo_id": archivo.pk}},
    )
    contenido = cliente_staff.get(f"/tareas/{registro.pk}/").content.decode()
    h1 = contenido[contenido.index("<h1>") : contenido.index("</h1>")]
    assert "Importación de «tornillo.xlsx»" in h1 and "procesar_pendientes" not in h1
    assert "El Tornillo (TOR) · tornillo.xlsx · hoja «Herramientas»" in contenido
    assert ">Procesando</span>" in contenido
    assert "25 %" in contenido and "faltan ~3 min" in contenido
    assert '<progress max="20000" value="5000">' in contenido
    assert f'href="/importaciones/archivos/{archivo.pk}/"' in contenido
    # El nombre de Celery y el JSON, sólo dentro del pliegue.
    tecnicos = contenido[contenido.index("<details") : contenido.index("</details>")]
    assert "<summary>Detalles técnicos</summary>" in tecnicos
    assert "importaciones.procesar_pendientes" in tecnicos
    assert f"&quot;archivo_id&quot;: {archivo.pk}" in tecnicos
    assert "importaciones.procesar_pendientes" not in contenido.replace(tecnicos, "")
