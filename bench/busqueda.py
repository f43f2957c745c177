"""`make bench-busqueda`: la búsqueda del mostrador con 1M de precios de lista.

Por cada motor (SQLite y PostgreSQL) levanta un proceso con una base propia, la
migra, carga N precios de lista sintéticos de varios proveedores (descripciones de
ferretería con y sin acentos, marcas, códigos y EAN) con inserts de a bloques
(COPY en PostgreSQL), y mide ~200 búsquedas típicas del mostrador por la vista real
(`/precios/?q=…` con el Client de Django y un usuario logueado: ORM, plantilla y
paginación): prefijos de código, EAN exacto, 1 a 3 palabras de la descripción,
marca, filtro por proveedor, página 2 y búsquedas sin resultados. Cada una se mide
`--rondas` veces (la máquina es compartida); informa p50, p95 y máximo de todas las
mediciones, el p95 de cada ronda, la carga de la máquina, por tipo de consulta y las
más lentas.

    make bench-busqueda
    .venv/bin/python bench/busqueda.py --postgres postgres://postgres@127.0.0.1:5432/bench_busqueda
    .venv/bin/python bench/busqueda.py --motores sqlite --reusar   # no regenera los datos

`--postgres` es la base que el bench borra y vuelve a crear (se conecta a la base
`postgres` del mismo servidor para hacerlo). Con `--reusar` la base de SQLite queda
en bench-data/ y la de PostgreSQL no se borra: la corrida siguiente sólo aplica las
migraciones nuevas y mide.
"""

import argparse
import json
import os
import random
import re
import statistics
import sys
import tempfile
import time
import unicodedata
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from comun import (
    DATOS,
    base_postgres_limpia,
    correr_interno,
    entorno_de_bench,
    maquina,
    percentil,
    preparar_django,
)

# La línea de la plantilla que dice cuántos resultados hay.
CANTIDAD = re.compile(r"<p>([^<]*)resultado")
BASES_PROTEGIDAS = {"postgres", "template0", "template1", "test"}

# --- Datos sintéticos -----------------------------------------------------------------

# (sustantivo, tipos, medidas, terminaciones, peso): una ferretería tiene muchos más
# tornillos que carretillas.
FAMILIAS = [
    (
        "TORNILLO",
        ["AUTOPERFORANTE", "AUTORROSCANTE", "PARA MADERA", "FIX", "PARKER", "ALLEN", "TANQUE"],
        ["6X1/2", "8X1", "8X3/4", "10X1 1/2", "10X2", "14X2", "4X40MM", "5X50MM", "6X60MM"],
        ["PUNTA MECHA", "PUNTA AGUJA", "CABEZA PHILLIPS", "CABEZA FRESADA", "ZINCADO", "NEGRO"],
        14,
    ),
    (
        "TUERCA",
        ["HEXAGONAL", "AUTOFRENANTE", "MARIPOSA", "CIEGA"],
        ["1/4", "5/16", "3/8", "M6", "M8", "M10"],
        ["ZINCADA", "INOX", "X 100 U"],
        5,
    ),
    (
        "ARANDELA",
        ["PLANA", "GROWER", "DENTADA"],
        ["1/4", "5/16", "3/8", "M6", "M8"],
        ["ZINCADA", "INOX", "X 100 U"],
        4,
    ),
    (
        "BULÓN",
        ["CABEZA HEXAGONAL", "CARROCERO", "ALLEN"],
        ["1/4X1", "5/16X2", "3/8X3", "M8X40", "M10X60"],
        ["ZINCADO", "GRADO 8", "C/TUERCA"],
        4,
    ),
    (
        "CLAVO",
        ["PUNTA PARIS", "ESPIRALADO", "DE ACERO", "CABEZA PERDIDA"],
        ['1"', '1 1/2"', '2"', '2 1/2"', '3"'],
        ["X KG", "X 1/2 KG", "GALVANIZADO"],
        3,
    ),
    (
        "TARUGO",
        ["NYLON", "C/TOPE", "PARA DURLOCK", "FISCHER"],
        ["5MM", "6MM", "8MM", "10MM", "12MM"],
        ["X 100 U", "X 50 U", "C/TORNILLO"],
        4,
    ),
    (
        "MECHA",
        ["WIDIA", "ACERO RÁPIDO", "COBALTO", "PALETA", "COPA", "SDS PLUS"],
        ["3MM", "4MM", "5MM", "6MM", "6.5MM", "8MM", "10MM", "12MM", "1/4", "3/8"],
        ["LARGA", "CORTA", "P/HORMIGÓN", "P/METAL", "P/MADERA"],
        8,
    ),
    (
        "DISCO",
        ["DE CORTE", "FLAP", "DIAMANTADO", "DE DESBASTE", "SIERRA CIRCULAR"],
        ["115MM", "180MM", "230MM", '4 1/2"', '7"'],
        ["P/METAL", "P/INOX", "CONTINUO", "SEGMENTADO", "GRANO 40", "GRANO 80"],
        5,
    ),
    (
        "LLAVE",
        ["TÉRMICA", "DIFERENCIAL", "DE PASO", "COMBINADA", "FRANCESA", "STILSON", "TUBO", "ALLEN"],
        ["2X10A", "2X16A", "2X25A", "1/2", "3/4", "10MM", "13MM", '8"', '12"'],
        ["BIPOLAR", "TETRAPOLAR", "ESFÉRICA", "CROMADA", "JUEGO"],
        6,
    ),
    (
        "CAÑO",
        ["PVC", "EPOXI", "TERMOFUSIÓN", "GALVANIZADO", "POLIPROPILENO", "CORRUGADO"],
        ["1/2", "3/4", '1"', "40MM", "50MM", "110MM", "20MM"],
        ["X 4 MTS", "X 6 MTS", "REFORZADO", "SANITARIO", "AGUA FRÍA"],
        5,
    ),
    (
        "CODO",
        ["PVC", "TERMOFUSIÓN", "EPOXI", "GALVANIZADO", "BRONCE"],
        ["1/2", "3/4", '1"', "40MM", "110MM"],
        ["A 90°", "A 45°", "H-H", "M-H", "C/ROSCA"],
        4,
    ),
    (
        "CUPLA",
        ["PVC", "TERMOFUSIÓN", "GALVANIZADA", "REDUCCIÓN"],
        ["1/2", "3/4", '1"', "3/4X1/2"],
        ["H-H", "C/ROSCA"],
        3,
    ),
    (
        "TEE",
        ["PVC", "TERMOFUSIÓN", "GALVANIZADA", "DE REDUCCIÓN"],
        ["1/2", "3/4", '1"', "110X63"],
        ["H-H-H", "SANITARIA"],
        2,
    ),
    (
        "VÁLVULA",
        ["ESFÉRICA", "DE RETENCIÓN", "DE DESCARGA", "PARA TANQUE"],
        ["1/2", "3/4", '1"'],
        ["BRONCE", "PVC", "M-H"],
        2,
    ),
    (
        "CINTA",
        ["AISLADORA", "DE PAPEL", "TEFLÓN", "DOBLE FAZ", "DE EMBALAR", "MÉTRICA"],
        ["12MM", "18MM", "24MM", "48MM", "5M", "8M"],
        ["X 20 MTS", "X 50 MTS", "NEGRA", "TRANSPARENTE"],
        4,
    ),
    (
        "PINTURA",
        ["LÁTEX INTERIOR", "LÁTEX EXTERIOR", "ESMALTE SINTÉTICO", "ANTIÓXIDO", "IMPERMEABILIZANTE"],
        ["1L", "4L", "10L", "20L"],
        ["BLANCO", "NEGRO", "MATE", "SATINADO", "BRILLANTE", "GRIS"],
        5,
    ),
    (
        "PINCEL",
        ["CERDA BLANCA", "VIROLA", "ECONÓMICO"],
        ["N° 10", "N° 15", "N° 20", "N° 30", '1"', '2"'],
        ["MANGO MADERA", "PROFESIONAL"],
        2,
    ),
    (
        "RODILLO",
        ["LANA", "ANTIGOTA", "ESPUMA", "EPOXI"],
        ["9CM", "17CM", "22CM"],
        ["C/MANGO", "REPUESTO"],
        2,
    ),
    (
        "LIJA",
        ["AL AGUA", "PARA MADERA", "ESMERIL", "TELA"],
        ["GRANO 80", "GRANO 120", "GRANO 180", "GRANO 220", "GRANO 400"],
        ["HOJA", "X 25 U"],
        3,
    ),
    (
        "SILICONA",
        ["ACÉTICA", "NEUTRA", "ALTA TEMPERATURA", "SELLADOR"],
        ["280ML", "50G", "85G"],
        ["TRANSPARENTE", "BLANCA", "NEGRA"],
        2,
    ),
    (
        "CABLE",
        ["UNIPOLAR", "TALLER", "SUBTERRÁNEO", "PARALELO", "TPR"],
        ["1MM", "1.5MM", "2.5MM", "4MM", "2X1.5", "3X2.5"],
        ["X 100 MTS", "X MT", "ROJO", "CELESTE", "VERDE/AMARILLO"],
        4,
    ),
    (
        "LÁMPARA",
        ["LED", "BAJO CONSUMO", "DICROICA", "TUBO LED", "HALÓGENA"],
        ["7W", "9W", "12W", "18W", "E27", "GU10"],
        ["LUZ FRÍA", "LUZ CÁLIDA", "6500K"],
        3,
    ),
    (
        "TOMACORRIENTE",
        ["DOBLE", "SIMPLE", "EXTERIOR", "C/TIERRA"],
        ["10A", "20A"],
        ["BLANCO", "MÓDULO"],
        2,
    ),
    (
        "BISAGRA",
        ["MUNICIÓN", "CAZOLETA", "PIANO", "DE LIBRO"],
        ['2"', '3"', "35MM"],
        ["BRONCE", "ZINCADA", "CIERRE SUAVE"],
        2,
    ),
    (
        "CANDADO",
        ["BRONCE", "ACERO", "COMBINACIÓN", "ANTICIZALLA"],
        ["30MM", "40MM", "50MM", "60MM"],
        ["ARCO LARGO", "LLAVES IGUALES"],
        1,
    ),
    (
        "CERRADURA",
        ["DE SEGURIDAD", "PARA PORTÓN", "DE EMBUTIR", "DE SOBREPONER"],
        ["", "2 PALETAS", "DOBLE PALETA"],
        ["C/LLAVE", "DERECHA", "IZQUIERDA"],
        1,
    ),
    (
        "ADHESIVO",
        ["CERÁMICO", "DE CONTACTO", "EPOXI", "VINÍLICO", "INSTANTÁNEO"],
        ["25G", "250CC", "1L", "30KG", "4L"],
        ["PORCELANATO", "FLEXIBLE", "BLANCO"],
        2,
    ),
    (
        "ESPÁTULA",
        ["ACERO", "PLÁSTICA", "DENTADA"],
        ["4CM", "6CM", "8CM", "10CM"],
        ["MANGO MADERA", "MANGO PLÁSTICO"],
        1,
    ),
    (
        "MARTILLO",
        ["CARPINTERO", "GALPONERO", "BOLITA", "DE GOMA"],
        ["16OZ", "20OZ", "500G", "1KG"],
        ["MANGO FIBRA", "MANGO MADERA"],
        1,
    ),
    (
        "DESTORNILLADOR",
        ["PHILLIPS", "PLANO", "PERILLERO", "TORX", "JUEGO"],
        ["3X75", "5X100", "6X150", "PH1", "PH2"],
        ["PUNTA IMANTADA", "AISLADO 1000V"],
        2,
    ),
    (
        "PRECINTO",
        ["PLÁSTICO", "REUTILIZABLE"],
        ["100X2.5", "200X3.6", "300X4.8"],
        ["X 100 U", "NEGRO", "BLANCO"],
        2,
    ),
    (
        "GRAMPA",
        ["OMEGA", "PARA CABLE", "SUJETACABLE", "U"],
        ["6MM", "8MM", "1/2", "3/4"],
        ["X 100 U", "ZINCADA"],
        2,
    ),
    (
        "ÁNGULO",
        ["HIERRO", "ALUMINIO", "ESQUINERO"],
        ["3/4X1/8", "1X1/8", "1 1/4X3/16"],
        ["X 6 MTS", "X MT"],
        1,
    ),
    (
        "MÉNSULA",
        ["REFORZADA", "FLOTANTE", "ESCUADRA"],
        ["15X20", "20X25", "25X30"],
        ["BLANCA", "NEGRA", "ZINCADA"],
        1,
    ),
    (
        "SIFÓN",
        ["SIMPLE", "DOBLE", "FLEXIBLE", "DE LAVATORIO"],
        ["40MM", "50MM", "1 1/4"],
        ["PVC", "CROMADO"],
        1,
    ),
    (
        "GRIFERÍA",
        ["MONOCOMANDO", "PARA COCINA", "PARA BAÑO", "DUCHA"],
        ["", "C/TRANSFERENCIA", "PICO ALTO"],
        ["CROMADA", "BLANCA"],
        1,
    ),
]
MARCAS = [
    "BOSCH",
    "STANLEY",
    "TRAMONTINA",
    "BAHCO",
    "FISCHER",
    "TACSA",
    "3M",
    "SIKA",
    "ALBA",
    "SHERWIN WILLIAMS",
    "IPS",
    "FV",
    "ACQUA SYSTEM",
    "DEWALT",
    "BLACK+DECKER",
    "MAKITA",
    "EZETA",
    "KLAUKE",
    "SICA",
    "JELUZ",
    "CAMBRE",
    "PHILIPS",
    "OSRAM",
    "GLADIATOR",
    "TOTAL",
    "CROSSMASTER",
    "PRETUL",
    "TRUPER",
    "BREMEN",
    "PULQUI",
    "FIXER",
    "TEL",
    "WEBER",
    "KLAUS",
    "POXIPOL",
    "LA GOTITA",
    "FORTEX",
    "TALADRO",
    "HAMILTON",
    "EL GALGO",
    "DOGO",
    "TIGRE",
    "AWADUCT",
    "SALADILLO",
    "HIDRO 3",
    "LATYN",
    "ROWA",
    "PLASTIFERRO",
    "DURAX",
    "NIPPON",
]
# nombre, abreviatura, cantidad relativa, estilo de la descripción, formato del código.
PROVEEDORES = [
    ("Valot", "VAL", 30, "MAYUSCULAS", "numerico"),
    ("Distribuidora El Tornillo", "TOR", 20, "SIN_ACENTOS", "alfanumerico"),
    ("Ferretera Rosario", "FRO", 15, "Titulo", "mnemonico"),
    ("Sanitarios del Sur", "SDS", 12, "MAYUSCULAS", "guiones"),
    ("Electro Norte", "ELN", 10, "Titulo", "numerico"),
    ("Pinturerías Centro", "PCE", 6, "SIN_ACENTOS", "alfanumerico"),
    ("Herramientas Pampa", "HPA", 4, "MAYUSCULAS", "mnemonico"),
    ("Bulonera Oeste", "BUO", 3, "Titulo", "guiones"),
]


def sin_acentos(texto: str) -> str:
    return "".join(
        c for c in unicodedata.normalize("NFD", texto) if unicodedata.category(c) != "Mn"
    )


def _descripcion(azar: random.Random, estilo: str) -> str:
    pesos = [f[4] for f in FAMILIAS]
    nombre, tipos, medidas, terminaciones, _ = azar.choices(FAMILIAS, pesos)[0]
    partes = [nombre, azar.choice(tipos), azar.choice(medidas)]
    if azar.random() < 0.7:
        partes.append(azar.choice(terminaciones))
    if azar.random() < 0.25:
        partes.append(f"MOD {azar.randrange(100, 9999)}")
    texto = " ".join(p for p in partes if p)
    if estilo == "SIN_ACENTOS":
        return sin_acentos(texto)
    if estilo == "Titulo":
        return texto.capitalize()
    return texto


def _codigo(formato: str, abreviatura: str, i: int, descripcion: str) -> str:
    if formato == "numerico":
        return f"{i:06d}"
    if formato == "alfanumerico":
        return f"{abreviatura[0]}{i:07d}"
    if formato == "mnemonico":
        return f"{sin_acentos(descripcion[:3]).upper()}{i:05d}"
    return f"{i // 1000:03d}-{i % 1000:03d}-{abreviatura}"


def _ean(i: int) -> str:
    cuerpo = f"779{(i * 7_919_993) % 1_000_000_000:09d}"
    suma = sum(int(d) * (3 if n % 2 else 1) for n, d in enumerate(cuerpo))
    return cuerpo + str((10 - suma % 10) % 10)


def filas_sinteticas(filas: int, proveedores: list[int]):
    """Tuplas listas para insertar en precios_preciodelista, determinísticas."""
    from importaciones.normalizacion import clave_codigo
    from precios.models import Moneda

    azar = random.Random(42)
    ahora = datetime(2026, 11, 1, 12, tzinfo=UTC)
    total = sum(p[2] for p in PROVEEDORES)
    global_i = 0
    for (_nombre, abreviatura, parte, estilo, formato), proveedor_id in zip(
        PROVEEDORES, proveedores, strict=True
    ):
        cantidad = filas * parte // total
        if abreviatura == PROVEEDORES[0][1]:
            cantidad += filas - sum(filas * p[2] // total for p in PROVEEDORES)
        for i in range(1, cantidad + 1):
            global_i += 1
            descripcion = _descripcion(azar, estilo)
            codigo = _codigo(formato, abreviatura, i, descripcion)
            marca = azar.choice(MARCAS) if azar.random() < 0.8 else ""
            if estilo == "Titulo" and marca:
                marca = marca.title()
            ean = _ean(global_i) if azar.random() < 0.6 else ""
            precio = Decimal(azar.randrange(50, 5_000_000)) / 100
            yield (
                proveedor_id,
                codigo,
                clave_codigo(codigo),
                descripcion,
                precio,
                Decimal("0.21") if azar.random() < 0.9 else Decimal("0.105"),
                azar.choice([1, 1, 1, 10, 50, 100]),
                marca,
                ean,
                "Lista",
                # El default del modelo lo pone Django, no la base: acá va explícito.
                Moneda.ARS.value,
                ahora,
                ahora,
            )


COLUMNAS = (
    "proveedor_id, codigo, codigo_clave, descripcion, precio, iva, bulto, marca, "
    "codigo_barras, hoja, moneda, creado_en, actualizado_en"
)


def cargar(filas: int) -> tuple[float, int]:
    """Proveedores y N precios con inserts de a bloques (COPY en PostgreSQL)."""
    from django.db import connection, transaction

    from precios.models import PrecioDeLista
    from proveedores.models import Proveedor

    existentes = PrecioDeLista.objects.count()
    if existentes:
        return 0.0, existentes
    inicio = time.perf_counter()
    proveedores = [
        Proveedor.objects.create(
            nombre=nombre, abreviatura=abreviatura, margen_ganancia=Decimal("1.4")
        ).pk
        for nombre, abreviatura, *_ in PROVEEDORES
    ]
    tabla = PrecioDeLista._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {tabla} ({COLUMNAS}) FROM STDIN") as copia:
                for fila in filas_sinteticas(filas, proveedores):
                    copia.write_row(fila)
        else:
            marcadores = ", ".join(["%s"] * len(COLUMNAS.split(",")))
            fuente = filas_sinteticas(filas, proveedores)
            sql = f"INSERT INTO {tabla} ({COLUMNAS}) VALUES ({marcadores})"
            cursor.executemany(sql, fuente)
    with connection.cursor() as cursor:
        # Toda la base: en PostgreSQL también la tabla de texto de la búsqueda, que llenan
        # los triggers (en producción lo hace el autovacuum después de cada importación).
        cursor.execute("ANALYZE")
    return time.perf_counter() - inicio, PrecioDeLista.objects.count()


# --- Consultas -------------------------------------------------------------------------

VACIAS = ["heladera", "zapatilla", "xqzw", "tornillo heladera", "7790000000001", "ZZ-999"]
VACIAS += ["bicicleta rodado", "mecha zzz", "qwerty 8x1", "televisor", "7799999999990", "kjh"]
PALABRAS_VACIAS = {"X", "DE", "P", "C", "A", "PARA", "U", "MOD", "N°", "MTS", "MT", "-"}


def _como_escribe_el_mostrador(azar: random.Random, descripcion: str, cuantas: int) -> str:
    """1 a 3 palabras de la descripción, en minúsculas, a veces sin acentos o cortadas."""
    palabras = [
        p for p in descripcion.split() if p.upper() not in PALABRAS_VACIAS and "/" not in p[:1]
    ]
    if not palabras:
        return descripcion.split()[0].lower()
    inicio = azar.randrange(0, max(1, len(palabras) - cuantas + 1))
    elegidas = palabras[inicio : inicio + cuantas]
    salida = []
    for palabra in elegidas:
        palabra = palabra.lower()
        if azar.random() < 0.5:
            palabra = sin_acentos(palabra)
        if len(palabra) > 5 and palabra.isalpha() and azar.random() < 0.4:
            palabra = palabra[: azar.randrange(4, len(palabra))]
        salida.append(palabra)
    return " ".join(salida)


def consultas(cantidad: int) -> list[tuple[str, dict]]:
    """(tipo, parámetros GET) sacados de los datos cargados: ~200 por defecto."""
    from django.db.models.functions import Mod

    from precios.models import PrecioDeLista
    from proveedores.models import Proveedor

    azar = random.Random(7)
    total = PrecioDeLista.objects.count()
    paso = max(1, total // 4000)
    muestra = list(
        PrecioDeLista.objects.order_by()
        .alias(resto=Mod("id", paso))
        .filter(resto=0)
        .values("codigo", "descripcion", "marca", "codigo_barras", "proveedor_id")[:4000]
    )
    azar.shuffle(muestra)
    proveedores = list(Proveedor.objects.values_list("pk", flat=True))
    por_tipo = {
        "código (prefijo)": 0.14,
        "EAN": 0.12,
        "1 palabra": 0.14,
        "2 palabras": 0.16,
        "3 palabras": 0.12,
        "marca": 0.07,
        "marca + palabra": 0.07,
        "con proveedor": 0.06,
        "página 2": 0.05,
    }
    salida: list[tuple[str, dict]] = []
    filas = iter(muestra)
    for tipo, parte in por_tipo.items():
        for _ in range(round(cantidad * parte)):
            fila = next(filas)
            if tipo == "código (prefijo)":
                codigo = fila["codigo"]
                q = codigo[: azar.randrange(max(3, len(codigo) - 3), len(codigo) + 1)]
            elif tipo == "EAN":
                while not fila["codigo_barras"]:
                    fila = next(filas)
                q = fila["codigo_barras"]
            elif tipo in ("1 palabra", "2 palabras", "3 palabras"):
                q = _como_escribe_el_mostrador(azar, fila["descripcion"], int(tipo[0]))
            elif tipo == "marca":
                while not fila["marca"]:
                    fila = next(filas)
                q = fila["marca"].lower()
            elif tipo == "marca + palabra":
                while not fila["marca"]:
                    fila = next(filas)
                q = f"{_como_escribe_el_mostrador(azar, fila['descripcion'], 1)} "
                q += fila["marca"].split()[0].lower()
            elif tipo == "con proveedor":
                q = _como_escribe_el_mostrador(azar, fila["descripcion"], 2)
                salida.append((tipo, {"q": q, "proveedor": fila["proveedor_id"]}))
                continue
            else:
                q = _como_escribe_el_mostrador(azar, fila["descripcion"], 1)
                salida.append((tipo, {"q": q, "pagina": 2}))
                continue
            salida.append((tipo, {"q": q}))
    salida += [("sin resultados", {"q": q}) for q in VACIAS[: max(0, cantidad - len(salida))]]
    # La portada del mostrador (sin texto) y la lista entera de un proveedor.
    salida += [("sin texto", {}), ("sin texto", {"q": "", "proveedor": proveedores[1]})]
    return salida


def medir(filas: int, cantidad: int, calentamiento: int, rondas: int) -> dict:
    preparar_django(estaticos=True)
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    segundos_carga, cargadas = cargar(filas)
    cliente = Client()
    usuario, _ = get_user_model().objects.get_or_create(username="bench", is_staff=True)
    cliente.force_login(usuario)
    lista = consultas(cantidad)
    azar = random.Random(3)
    for _tipo, parametros in azar.sample(lista, min(calentamiento, len(lista))):
        cliente.get("/precios/", parametros)
    carga_de_la_maquina = [os.getloadavg()[0]]
    # tiempos[i]: las mediciones de la consulta i, una por ronda.
    tiempos: list[list[float]] = [[] for _ in lista]
    resultados: list[str] = []
    for ronda in range(rondas):
        for i, (_tipo, parametros) in enumerate(lista):
            inicio = time.perf_counter()
            respuesta = cliente.get("/precios/", parametros)
            tiempos[i].append((time.perf_counter() - inicio) * 1000)
            assert respuesta.status_code == 200, (parametros, respuesta.status_code)
            if ronda == 0:
                cantidad_texto = CANTIDAD.search(respuesta.content.decode())
                resultados.append(cantidad_texto.group(1).strip() if cantidad_texto else "?")
    carga_de_la_maquina.append(os.getloadavg()[0])
    todos = [ms for mediciones in tiempos for ms in mediciones]
    por_tipo: dict[str, list[float]] = {}
    for (tipo, _p), mediciones in zip(lista, tiempos, strict=True):
        por_tipo.setdefault(tipo, []).extend(mediciones)
    por_ronda = [[mediciones[r] for mediciones in tiempos] for r in range(rondas)]
    lentas = sorted(range(len(lista)), key=lambda i: statistics.median(tiempos[i]))[-8:]
    return {
        "motor": connection.vendor,
        "filas": cargadas,
        "carga_s": round(segundos_carga, 1),
        "consultas": len(lista),
        "rondas": rondas,
        "carga_maquina": [round(x, 2) for x in carga_de_la_maquina],
        "p50": round(statistics.median(todos), 1),
        "p95": round(percentil(todos, 95), 1),
        "max": round(max(todos), 1),
        "p95_por_ronda": [round(percentil(r, 95), 1) for r in por_ronda],
        "por_tipo": {
            tipo: [len(v) // rondas, round(statistics.median(v), 1), round(percentil(v, 95), 1)]
            for tipo, v in por_tipo.items()
        },
        "lentas": [
            [round(statistics.median(tiempos[i]), 1), *lista[i], resultados[i]] for i in lentas
        ],
        "todas": [
            [*lista[i], resultados[i], [round(ms, 1) for ms in tiempos[i]]]
            for i in range(len(lista))
        ],
    }


def url_postgres(url: str, reusar: bool) -> str:
    nombre = url.rsplit("/", 1)[1]
    if nombre in BASES_PROTEGIDAS:
        sys.exit(f"--postgres: el bench borra y crea la base «{nombre}»; usá una base propia.")
    servidor = url.rsplit("/", 1)[0] + "/postgres"
    if reusar:
        import psycopg

        with psycopg.connect(servidor, autocommit=True) as conexion:
            existe = conexion.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", [nombre]
            ).fetchone()
            if not existe:
                conexion.execute(f'CREATE DATABASE "{nombre}"')
        return url
    return base_postgres_limpia(servidor, nombre)


def correr(motor: str, args, directorio: str) -> dict:
    if motor == "sqlite":
        ruta = DATOS / f"busqueda_{args.filas}.sqlite3" if args.reusar else None
        if ruta:
            DATOS.mkdir(exist_ok=True)
        url = f"sqlite:///{ruta or Path(directorio) / 'bench.sqlite3'}"
    else:
        url = url_postgres(args.postgres, args.reusar)
    comando = [sys.executable, __file__, "--interno", "--filas", str(args.filas)]
    comando += ["--consultas", str(args.consultas), "--calentamiento", str(args.calentamiento)]
    comando += ["--rondas", str(args.rondas)]
    resultado, _pico_rss_mb = correr_interno(
        comando, entorno_de_bench(url, directorio), directorio, motor
    )
    return resultado


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--filas", type=int, default=1_000_000)
    parser.add_argument("--consultas", type=int, default=200)
    parser.add_argument("--calentamiento", type=int, default=20, help="consultas sin medir")
    parser.add_argument(
        "--rondas", type=int, default=3, help="veces que se mide cada consulta (máquina compartida)"
    )
    parser.add_argument(
        "--postgres",
        default="postgres://postgres@127.0.0.1:5432/tarifario_bench_busqueda",
        help="base de PostgreSQL del bench: se borra y se vuelve a crear",
    )
    parser.add_argument("--motores", default="sqlite,postgresql")
    parser.add_argument("--reusar", action="store_true", help="conserva los datos entre corridas")
    parser.add_argument("--json", type=Path, help="guarda los resultados acá")
    parser.add_argument("--interno", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.interno:
        print(json.dumps(medir(args.filas, args.consultas, args.calentamiento, args.rondas)))
        return
    print(f"Máquina: {maquina()}. {args.filas:,} precios de lista.", flush=True)
    resultados = []
    for motor in args.motores.split(","):
        with tempfile.TemporaryDirectory(prefix="tarifario-bench-") as directorio:
            r = correr(motor, args, directorio)
        resultados.append(r)
        carga = f"cargados en {r['carga_s']} s" if r["carga_s"] else "reusados"
        print(
            f"\n{motor}: {r['filas']:,} precios ({carga}); {r['consultas']} búsquedas por "
            f"/precios/ × {r['rondas']} rondas: p50 {r['p50']} ms | p95 {r['p95']} ms | "
            f"máx {r['max']} ms (p95 de cada ronda: {r['p95_por_ronda']}; carga de la "
            f"máquina {r['carga_maquina'][0]} → {r['carga_maquina'][1]})",
            flush=True,
        )
        for tipo, (n, p50, p95) in r["por_tipo"].items():
            print(f"  {tipo:18} {n:4} consultas  p50 {p50:7.1f} ms  p95 {p95:7.1f} ms")
        print("  Las más lentas (mediana de las rondas):")
        for ms, tipo, parametros, resultados_texto in reversed(r["lentas"]):
            print(f"    {ms:7.1f} ms  {tipo:18} {parametros}  → {resultados_texto}")
    if args.json:
        args.json.write_text(json.dumps(resultados, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
