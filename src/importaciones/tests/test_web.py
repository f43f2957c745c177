import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from conftest import lista_con_banner
from importaciones.models import ArchivoPendiente, ConfigImportacion, Subida
from proveedores.models import Proveedor

pytestmark = pytest.mark.django_db


def subir(cliente, ruta, nombre=None, **datos):
    archivo = SimpleUploadedFile(nombre or ruta.name, ruta.read_bytes())
    return cliente.post("/importaciones/", {"archivo": archivo, **datos})


def test_sin_sesion_redirige_al_login(client):
    for url in ("/importaciones/", "/precios/", "/importaciones/subidas/1/", "/"):
        respuesta = client.get(url)
        assert respuesta.status_code == 302
        assert respuesta.url.startswith("/cuentas/login/")


def test_personal_sin_permiso_de_staff_recibe_403(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("mostrador", password="x-123-y"))
    assert client.get("/importaciones/").status_code == 403
    assert client.post("/importaciones/procesar/").status_code == 403
    assert client.get("/precios/").status_code == 200


def test_subir_crea_proveedor_y_muestra_la_sugerencia(cliente_staff, planillas):
    ruta = planillas["xlsx"](
        {"Herramientas": lista_con_banner(40), "Electricidad": lista_con_banner(5)}
    )
    respuesta = subir(cliente_staff, ruta, nuevo_nombre="El Tornillo", nueva_abreviatura="tor")
    subida = Subida.objects.get()
    assert respuesta.status_code == 302
    assert respuesta.url == f"/importaciones/subidas/{subida.pk}/"
    assert Proveedor.objects.get().abreviatura == "TOR"
    assert subida.archivo.name != ruta.name  # guardado con nombre generado

    pagina = cliente_staff.get(respuesta.url)
    contenido = pagina.content.decode()
    assert "Herramientas" in contenido and "Electricidad" in contenido
    formulario = pagina.context["hojas"][0]["form"]
    assert formulario["precio"].value() == "D"
    assert formulario["codigo"].value() == "A"
    assert formulario["fila_encabezado"].value() == 4
    # La vista previa muestra sólo las primeras filas, con columnas con letra.
    assert len(pagina.context["hojas"][0]["crudas"]) == 30
    assert "<th>F</th>" in contenido


def test_confirmar_encola_despues_del_commit_y_guarda_la_configuracion(
    cliente_staff, planillas, proveedor, django_capture_on_commit_callbacks
):
    ruta = planillas["xlsx"]({"Uno": lista_con_banner(3), "Dos": lista_con_banner(3)})
    subida_url = subir(cliente_staff, ruta, proveedor=proveedor.pk).url
    datos = {
        "hoja0-importar": "on",
        "hoja0-fila_encabezado": "4",
        "hoja0-codigo": "A",
        "hoja0-descripcion": "B",
        "hoja0-precio": "D",
        "hoja0-marca": "C",
        "hoja1-fila_encabezado": "4",
    }
    with django_capture_on_commit_callbacks() as callbacks:
        respuesta = cliente_staff.post(subida_url, datos)
    assert respuesta.status_code == 302
    assert respuesta.url == f"/importaciones/proveedores/{proveedor.pk}/cola/"
    assert len(callbacks) == 1  # un aviso al worker, recién al confirmar la transacción
    archivo = ArchivoPendiente.objects.get()
    assert (archivo.hoja_origen, archivo.estado, archivo.procesado) == ("Uno", "pendiente", False)
    config = ConfigImportacion.objects.get(proveedor=proveedor, importar=True)
    assert (config.nombre_config, config.col_precio, config.col_marca) == ("Uno", "D", "C")
    # La hoja que no se marcó queda recordada para la próxima lista del proveedor.
    assert ConfigImportacion.objects.get(proveedor=proveedor, importar=False).nombre_config == "Dos"

    cola = cliente_staff.get(respuesta.url)
    assert "Pendiente" in cola.content.decode()
    assert (
        cliente_staff.get(respuesta.url + "?parcial=1").content.decode().count('data-en-curso="1"')
        == 1
    )


def test_columnas_requeridas_faltantes_muestran_error(cliente_staff, planillas, proveedor):
    ruta = planillas["csv"]({"L": lista_con_banner(3)})
    subida_url = subir(cliente_staff, ruta, proveedor=proveedor.pk).url
    respuesta = cliente_staff.post(
        subida_url, {"hoja0-importar": "on", "hoja0-fila_encabezado": "4", "hoja0-codigo": "A"}
    )
    assert respuesta.status_code == 200
    assert "Elegí la columna." in respuesta.content.decode()
    assert not ArchivoPendiente.objects.exists()


def test_archivo_que_no_es_planilla_se_rechaza_sin_guardar_nada(cliente_staff, proveedor, tmp_path):
    ruta = tmp_path / "lista.xlsx"
    ruta.write_bytes(b"\x7fELF\x02\x01" + b"\x00" * 200)
    respuesta = subir(cliente_staff, ruta, proveedor=proveedor.pk)
    assert respuesta.status_code == 200
    assert "No es una planilla" in respuesta.content.decode()
    assert not Subida.objects.exists()


def test_nombre_original_se_muestra_escapado(cliente_staff, planillas, proveedor, tmp_path):
    ruta = planillas["csv"]({"L": lista_con_banner(2)})
    respuesta = subir(
        cliente_staff, ruta, nombre="<script>alert(1)<script>.csv", proveedor=proveedor.pk
    )
    contenido = cliente_staff.get(respuesta.url).content.decode()
    assert "&lt;script&gt;alert(1)&lt;script&gt;.csv" in contenido
    assert "<script>alert(1)" not in contenido
