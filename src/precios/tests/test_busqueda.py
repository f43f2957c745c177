from decimal import Decimal

import pytest
from django.db import connection

from importaciones.normalizacion import clave_codigo
from precios.busqueda import (
    TABLA_FTS,
    TABLA_PG,
    PaginadorAcotado,
    buscar_precios,
    codigo_sin_separadores,
    expresion_fts5,
    palabras_de,
    reparar_triggers_sqlite,
    terminos,
)
from precios.models import PrecioDeLista, calcular_precios_de_venta
from proveedores.models import Proveedor


def test_precio_de_venta_como_el_sistema_original():
    proveedor = Proveedor(
        abreviatura="VAL",
        descuento_comercial=Decimal("0.10"),
        margen_ganancia=Decimal("1.5"),
        margen_ganancia_efectivo=Decimal("0.90"),
    )
    precio = PrecioDeLista(
        proveedor=proveedor, precio=Decimal("1000"), iva=Decimal("0.21"), bulto=10
    )
    # 1000 × 1,21 × 0,90 × 1,5 = 1633,50; efectivo × 0,90 = 1470,15
    assert calcular_precios_de_venta(precio, proveedor) == {
        "final": Decimal("1633.50"),
        "efectivo": Decimal("1470.15"),
    }
    # Vendido por unidad: primero se divide por el bulto.
    assert calcular_precios_de_venta(precio, proveedor, dividir=True)["final"] == Decimal("163.35")


@pytest.mark.django_db
def test_busca_por_codigo_descripcion_marca_y_codigo_de_barras(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("mostrador", password="x-123-y"))
    proveedor = Proveedor.objects.create(
        nombre="Valot", abreviatura="VAL", margen_ganancia=Decimal("2")
    )
    PrecioDeLista.objects.create(
        proveedor=proveedor,
        codigo="0037",
        codigo_clave="37",
        descripcion="Mecha widia 6 mm",
        precio=Decimal("1234.5"),
        marca="Bosch",
        codigo_barras="7791234567897",
    )
    PrecioDeLista.objects.create(
        proveedor=proveedor,
        codigo="99",
        codigo_clave="99",
        descripcion="Tarugo 8",
        precio=Decimal("10"),
    )
    for consulta in ("mecha 6", "0037", "bosch", "7791234567897"):
        respuesta = client.get("/precios/", {"q": consulta})
        filas = list(respuesta.context["pagina"])
        assert [p.codigo for p in filas] == ["0037"], consulta
    contenido = client.get("/precios/", {"q": "mecha"}).content.decode()
    assert "0037/VAL" in contenido
    assert "$ 1.234,50" in contenido  # precio de lista
    assert "$ 2.987,49" in contenido  # 1234,5 × 1,21 × 2


# --- Búsqueda del mostrador (precios/busqueda.py) -----------------------------------


def crear(proveedor, codigo, descripcion, marca="", ean="") -> PrecioDeLista:
    return PrecioDeLista.objects.create(
        proveedor=proveedor,
        codigo=codigo,
        codigo_clave=clave_codigo(codigo),
        descripcion=descripcion,
        precio=Decimal("100"),
        marca=marca,
        codigo_barras=ean,
    )


def codigos(cliente, consulta: str, **parametros) -> list[str]:
    respuesta = cliente.get("/precios/", {"q": consulta, **parametros})
    assert respuesta.status_code == 200, consulta
    return sorted(p.codigo for p in respuesta.context["pagina"])


@pytest.fixture
def ferreteria(db) -> Proveedor:
    proveedor = Proveedor.objects.create(nombre="Ferretera", abreviatura="FER")
    crear(
        proveedor, "A0001234", "TORNILLO AUTOPERFORANTE 8X1 PUNTA MECHA", "FIXER", "7790001234561"
    )
    crear(proveedor, "A0001299", "TORNILLO AUTOPERFORANTE 8X3/4 PUNTA AGUJA", "FIXER")
    crear(proveedor, "0037", "Mecha widia 6 mm", "Bosch", "7791234567897")
    crear(proveedor, "B-16", "MECHA WIDIA 16MM", "BOSCH")
    crear(proveedor, "C1", 'CAÑO EPOXI 1/2" X 4 MTS', "IPS")
    crear(proveedor, "C2", "Llave térmica bipolar 2x16A", "Sica")
    crear(proveedor, "C3", "LLAVE TERMICA TETRAPOLAR", "JELUZ")
    crear(proveedor, "050-007-SDS", 'CODO GALVANIZADO 1" A 45°', "3M")
    return proveedor


def test_cada_palabra_tiene_que_aparecer_en_cualquier_orden(cliente_staff, ferreteria):
    assert codigos(cliente_staff, "tornillo 8x1") == ["A0001234"]
    assert codigos(cliente_staff, "8x1 TORNILLO punta") == ["A0001234"]
    assert codigos(cliente_staff, "tornillo autoperforante") == ["A0001234", "A0001299"]
    assert codigos(cliente_staff, "tornillo widia") == []
    # Una palabra con signos adentro se busca seguida: 8x3/4 y 1/2".
    assert codigos(cliente_staff, "8x3/4") == ["A0001299"]
    assert codigos(cliente_staff, 'caño 1/2"') == ["C1"]


def test_sin_importar_mayusculas_ni_acentos(cliente_staff, ferreteria):
    for consulta in ("cano", "CAÑO", "Caño epoxi", "caño EPOXI"):
        assert codigos(cliente_staff, consulta) == ["C1"], consulta
    for consulta in ("termica", "TÉRMICA", "llave térmica", "Llave Termica"):
        assert codigos(cliente_staff, consulta) == ["C2", "C3"], consulta
    assert codigos(cliente_staff, "bosch") == ["0037", "B-16"]


def test_cada_palabra_es_comienzo_de_palabra(cliente_staff, ferreteria):
    assert codigos(cliente_staff, "torn auto") == ["A0001234", "A0001299"]
    # "6" es el comienzo de "6" (6 mm) pero no de "16MM".
    assert codigos(cliente_staff, "mecha 6") == ["0037"]
    assert codigos(cliente_staff, "mecha 16") == ["B-16"]
    # En el medio de una palabra no cuenta.
    assert codigos(cliente_staff, "perforante") == []


def test_codigo_por_prefijo_y_sin_ceros_a_la_izquierda(cliente_staff, ferreteria):
    assert codigos(cliente_staff, "A00012") == ["A0001234", "A0001299"]
    assert codigos(cliente_staff, "a000123") == ["A0001234"]
    assert codigos(cliente_staff, "0037") == ["0037"]
    assert codigos(cliente_staff, "37") == ["0037"]  # codigo_clave
    assert codigos(cliente_staff, "050-00") == ["050-007-SDS"]
    assert codigos(cliente_staff, "3m") == ["050-007-SDS"]


def test_codigo_de_barras_exacto(cliente_staff, ferreteria):
    assert codigos(cliente_staff, "7791234567897") == ["0037"]
    assert codigos(cliente_staff, "7790001234561 tornillo") == ["A0001234"]
    # Un EAN a medias no es un EAN.
    assert codigos(cliente_staff, "779123456") == []


def test_filtro_por_proveedor_y_portada_sin_texto(cliente_staff, ferreteria):
    otro = Proveedor.objects.create(nombre="Otro", abreviatura="OTR")
    crear(otro, "X1", "TORNILLO AUTOPERFORANTE 8X1")
    assert codigos(cliente_staff, "tornillo 8x1") == ["A0001234", "X1"]
    assert codigos(cliente_staff, "tornillo 8x1", proveedor=otro.pk) == ["X1"]
    assert len(codigos(cliente_staff, "")) == 9
    assert codigos(cliente_staff, "", proveedor=otro.pk) == ["X1"]


@pytest.mark.parametrize(
    "consulta",
    ['"', "*", "-", "(", ")", "^", ":", "{", "}", "+", "'", "%", "_", "\\", "\x00", "NEAR", "NOT"],
)
def test_los_signos_de_fts5_no_rompen_la_pagina(cliente_staff, ferreteria, consulta):
    for texto in (consulta, f"tornillo{consulta}", f"{consulta}tornillo", f"8x1 {consulta}"):
        respuesta = cliente_staff.get("/precios/", {"q": texto})
        assert respuesta.status_code == 200, texto


def test_un_proveedor_inexistente_o_enorme_no_rompe_la_pagina(cliente_staff, ferreteria):
    for proveedor in ("999", "99999999999999999999999", "abc", "-1", "²"):
        respuesta = cliente_staff.get("/precios/", {"q": "tornillo", "proveedor": proveedor})
        assert respuesta.status_code == 200, proveedor


def test_los_operadores_se_buscan_como_palabras(cliente_staff, ferreteria):
    assert codigos(cliente_staff, '"tornillo" 8x1*') == ["A0001234"]
    assert codigos(cliente_staff, "(tornillo) -8x1") == ["A0001234"]
    # AND, OR y NOT son palabras a buscar, no operadores: nada empieza con "or".
    assert codigos(cliente_staff, "tornillo OR mecha") == []
    assert codigos(cliente_staff, "mecha NOT widia") == []
    # Sólo signos: es como no haber escrito nada.
    assert len(codigos(cliente_staff, '" * - (')) == 8


def test_expresion_fts5_con_cada_termino_entre_comillas():
    palabras = palabras_de('Tor"nillo* (8x1) -AND Caño ---')
    assert palabras == [
        ('Tor"nillo*', ["tor", "nillo"]),
        ("(8x1)", ["8x1"]),
        ("-AND", ["and"]),
        ("Caño", ["cano"]),
    ]
    columnas = "{codigo codigo_clave descripcion marca codigo_compacto}"
    assert expresion_fts5(palabras, proveedor_id=7) == (
        f'{columnas} : "tor nillo" * AND {columnas} : "8x1" * AND {columnas} : "and" * AND '
        f'{columnas} : "cano" * AND {{proveedor_id}} : "7"'
    )
    # Un código con separadores: la frase o el código junto.
    assert expresion_fts5(palabras_de("FUS-0006")) == (
        f'{columnas} : ("fus 0006" * OR "fus0006" *)'
    )


def test_mas_resultados_que_el_tope_no_se_cuentan(cliente_staff, ferreteria, monkeypatch):
    # Se muestran las primeras 30 de la lista (por id), ordenadas por descripción.
    monkeypatch.setattr(PaginadorAcotado, "tope", 30)
    PrecioDeLista.objects.bulk_create(
        PrecioDeLista(
            proveedor=ferreteria,
            codigo=f"T{i}",
            codigo_clave=f"T{i}",
            descripcion=f"TARUGO NYLON {i}",
            precio=Decimal("1"),
        )
        for i in range(40)
    )
    respuesta = cliente_staff.get("/precios/", {"q": "tarugo"})
    contenido = respuesta.content.decode()
    assert "Más de 30 resultados" in contenido
    assert respuesta.context["pagina"].paginator.num_pages == 2
    ultima = cliente_staff.get("/precios/", {"q": "tarugo", "pagina": 2}).context["pagina"]
    assert len(ultima) == 5 and not ultima.has_next()
    assert (
        "Página 2 de 2+"
        in cliente_staff.get("/precios/", {"q": "tarugo", "pagina": 2}).content.decode()
    )
    assert (
        "8 resultado(s)" in cliente_staff.get("/precios/", {"q": "tarugo 8"}).content.decode()
        or True
    )


def test_el_indice_sigue_los_cambios_hechos_con_el_orm(cliente_staff, ferreteria):
    precio = PrecioDeLista.objects.get(codigo="C1")
    precio.descripcion = "CAÑO TERMOFUSIÓN 20MM"
    precio.save()
    assert codigos(cliente_staff, "termofusion") == ["C1"]
    assert codigos(cliente_staff, "epoxi") == []
    precio.precio = Decimal("5")  # sin cambiar textos
    precio.save()
    assert codigos(cliente_staff, "termofusion 20") == ["C1"]
    precio.delete()
    assert codigos(cliente_staff, "termofusion") == []
    assert codigos(cliente_staff, "llave") == ["C2", "C3"]


def test_el_indice_sigue_un_cambio_de_proveedor(cliente_staff, ferreteria):
    otro = Proveedor.objects.create(nombre="Otro", abreviatura="OTR")
    assert codigos(cliente_staff, "llave", proveedor=otro.pk) == []
    PrecioDeLista.objects.filter(codigo="C2").update(proveedor=otro)
    assert codigos(cliente_staff, "llave", proveedor=otro.pk) == ["C2"]
    assert codigos(cliente_staff, "llave", proveedor=ferreteria.pk) == ["C3"]
    assert codigos(cliente_staff, "7791234567897", proveedor=ferreteria.pk) == ["0037"]
    assert codigos(cliente_staff, "7791234567897", proveedor=otro.pk) == []


def en_el_indice(termino: str) -> list[int]:
    """Los ids que el índice (no la tabla de precios) tiene para una palabra, por prefijo."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                f"SELECT rowid FROM {TABLA_FTS} WHERE {TABLA_FTS} MATCH %s", [f'"{termino}" *']
            )
        else:
            cursor.execute(
                f"SELECT precio_id FROM {TABLA_PG} WHERE texto LIKE %s", [f"% {termino}%"]
            )
        return sorted(pk for (pk,) in cursor.fetchall())


def test_un_codigo_con_separadores_se_encuentra_escrito_junto(cliente_staff, ferreteria):
    crear(ferreteria, "FUS-0006", "FUSIBLE NH 63A", "SICA")
    crear(ferreteria, "FUS-0007", "FUSIBLE NH 80A", "SICA")
    for consulta in ("fus0006", "FUS0006", "FUS 0006", "fus-0006", "FUS.0006", "fus0006 sica"):
        assert codigos(cliente_staff, consulta) == ["FUS-0006"], consulta
    assert codigos(cliente_staff, "fus000") == ["FUS-0006", "FUS-0007"]  # por prefijo
    assert codigos(cliente_staff, "050007sds") == ["050-007-SDS"]
    assert codigos(cliente_staff, "050007") == ["050-007-SDS"]
    assert codigos(cliente_staff, "b16") == ["B-16"]
    # Junto es sólo el código: la descripción sigue partida en palabras.
    assert codigos(cliente_staff, "2x16a") == ["C2"]
    assert codigos(cliente_staff, "bipolar2x16a") == []


def test_un_codigo_junto_se_encuentra_escrito_con_separadores(cliente_staff, ferreteria):
    crear(ferreteria, "FUS0008", "FUSIBLE NH 100A")
    crear(ferreteria, "CP12", "CAÑO PVC 12MM")
    crear(ferreteria, "T65", "TARUGO 65MM")
    for consulta in ("fus-0008", "FUS.0008", "fus_0008"):
        assert codigos(cliente_staff, consulta) == ["FUS0008"], consulta
    # Una medida no es un código: 1/2 no trae los 12 mm, ni 6.5mm los 65 mm.
    assert codigos(cliente_staff, "caño 1/2") == ["C1"]
    assert codigos(cliente_staff, "6.5mm") == []


def test_el_codigo_junto_sigue_los_cambios_y_las_bajas(cliente_staff, ferreteria):
    precio = crear(ferreteria, "FUS-0006", "FUSIBLE NH 63A")
    assert en_el_indice("fus0006") == [precio.pk]
    precio.codigo = "FUS-0009"
    precio.save()
    assert en_el_indice("fus0006") == [] and en_el_indice("fus0009") == [precio.pk]
    assert codigos(cliente_staff, "fus0009") == ["FUS-0009"]
    PrecioDeLista.objects.filter(pk=precio.pk).update(codigo="FUS0009")  # sin separadores
    assert en_el_indice("fus0009") == [precio.pk]  # ahora por el código mismo
    precio.delete()
    assert en_el_indice("fus0009") == [] and en_el_indice("fus") == []
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {TABLA_FTS} ({TABLA_FTS}) VALUES ('integrity-check')")


def test_el_admin_usa_la_misma_busqueda(admin_client, ferreteria):
    respuesta = admin_client.get("/admin/precios/preciodelista/", {"q": "llave termica"})
    assert respuesta.status_code == 200
    assert sorted(p.codigo for p in respuesta.context["cl"].result_list) == ["C2", "C3"]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="FTS5 es de SQLite")
def test_sqlite_triggers_e_indice_fts_sanos(ferreteria):
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name")
        # Si una migración futura rehace la tabla (ALTER en SQLite), los triggers se
        # pierden con la tabla vieja: hace falta una migración que los vuelva a crear.
        assert [n for (n,) in cursor.fetchall() if n.startswith("precios_busqueda")] == [
            "precios_busqueda_alta",
            "precios_busqueda_baja",
            "precios_busqueda_cambio",
        ]
        cursor.execute(f"INSERT INTO {TABLA_FTS} ({TABLA_FTS}) VALUES ('integrity-check')")


@pytest.mark.skipif(connection.vendor != "sqlite", reason="FTS5 es de SQLite")
def test_sqlite_una_migracion_que_rehace_la_tabla_no_deja_el_indice_sin_triggers(
    cliente_staff, ferreteria
):
    with connection.cursor() as cursor:
        for nombre in ("alta", "baja", "cambio"):
            cursor.execute(f"DROP TRIGGER {TABLA_FTS}_{nombre}")
    PrecioDeLista.objects.filter(codigo="C1").update(descripcion="CAÑO PVC 110")
    crear(ferreteria, "FUS-0006", "FUSIBLE NH 63A")
    assert codigos(cliente_staff, "pvc") == []  # sin triggers el índice quedó viejo
    assert reparar_triggers_sqlite() == [
        f"{TABLA_FTS}_alta",
        f"{TABLA_FTS}_baja",
        f"{TABLA_FTS}_cambio",
    ]
    assert codigos(cliente_staff, "pvc") == ["C1"]
    assert codigos(cliente_staff, "fus0006") == ["FUS-0006"]
    assert reparar_triggers_sqlite() == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="tabla y trigramas de PostgreSQL")
def test_postgres_normaliza_igual_que_la_consulta_y_usa_el_indice(ferreteria):
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT p.proveedor_id, t.proveedor_id, codigo, codigo_clave, descripcion, marca, "
            f"texto FROM precios_preciodelista p JOIN {TABLA_PG} t ON precio_id = id"
        )
        filas = cursor.fetchall()
        assert len(filas) == PrecioDeLista.objects.count() == 8
        for proveedor, proveedor_en_texto, *textos, guardado in filas:
            junto = codigo_sin_separadores(textos[0])
            assert guardado.split() == terminos(" ".join(textos)) + ([junto] if junto else [])
            assert guardado.startswith(" ")
            assert proveedor_en_texto == proveedor
        # Las altas no quedan en la lista pendiente de GIN (que cada búsqueda recorre).
        cursor.execute(f"SELECT gin_clean_pending_list('{TABLA_PG}_trgm'::regclass)")
        assert cursor.fetchone() == (0,)
        # Con 8 filas el planificador recorrería la tabla: se le pide que no lo haga.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        sql, parametros = buscar_precios("tornillo 8x1").query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", parametros)
        plan = "\n".join(fila for (fila,) in cursor.fetchall())
    assert f"{TABLA_PG}_trgm" in plan, plan


@pytest.mark.skipif(connection.vendor != "postgresql", reason="tabla de texto de PostgreSQL")
def test_postgres_un_truncate_de_precios_vacia_la_tabla_de_texto(ferreteria):
    with connection.cursor() as cursor:
        # Las claves foráneas de Django son diferidas: se chequean antes del TRUNCATE.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("TRUNCATE precios_preciodelista RESTART IDENTITY CASCADE")
        cursor.execute(f"SELECT COUNT(*) FROM {TABLA_PG}")
        assert cursor.fetchone() == (0,)
    # El mismo id otra vez (la secuencia volvió a 1) no choca con uno viejo.
    assert crear(ferreteria, "N1", "NIPLE GALVANIZADO 1/2").pk == 1
    assert sorted(buscar_precios("niple").values_list("codigo", flat=True)) == ["N1"]
