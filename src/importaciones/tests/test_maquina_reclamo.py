"""El reclamo con plazo y token como máquina de estados (§6.1, escenario 20), con Hypothesis.

Reglas con las funciones reales de services: reclamar (también dos hilos a la vez), renovar el
plazo, vencerlo (la prueba corre el reloj del archivo), barrer, devolver a pendiente por un
error pasajero y confirmar con un token vigente o viejo (procesar_archivo: la carga y el cierre
van en una transacción que sólo confirma si el token sigue siendo el del archivo). Un modelo
chico dice qué tiene que pasar; después de cada paso la base tiene que coincidir con él.

Corre en SQLite y en PostgreSQL, con una base de verdad (transaction=True: los hilos usan sus
propias conexiones). Imprime una línea `MEDIDA …` (`pytest -rP`) con qué caminos recorrió.
"""

import copy
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from threading import Barrier
from typing import TypeVar

import pytest
from django.db import OperationalError, connection
from django.utils import timezone
from hypothesis import HealthCheck, Phase
from hypothesis import settings as ajustes
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)

from conftest import lista_con_banner
from importaciones import services
from importaciones.models import ArchivoPendiente
from importaciones.reclamo import (
    ReclamoPerdido,
    reclamar_siguiente,
    reintentar_mas_tarde,
    renovar_reclamo,
)
from importaciones.tests.procesos import encolar, esperados, medir, precios_de, publicando_en
from proveedores.models import Proveedor

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(240)]

MAX_INTENTOS = 3
FILAS = 20
# Un token que el modelo todavía no conoce: el del reclamo que acaba de ganar alguien.
NUEVO = uuid.UUID(int=0)
# convertir_a_csv anota el avance filtrando sólo por token (no por estado): quien reusa un
# reclamo ya cerrado (procesado, con error o devuelto a pendiente) mueve estas columnas.
# Ningún flujo reusa un reclamo cerrado; uno reemplazado por otro reclamo no mueve nada.
AVANCE = ("ruta_csv", "filas_leidas", "filas_totales")
R = TypeVar("R")

cobertura: Counter[str] = Counter()


@dataclass
class Esperado:
    """Lo que el modelo dice de un archivo."""

    pk: int
    proveedor: Proveedor
    precios: dict[str, Decimal]
    estado: str = "pendiente"
    intentos: int = 0
    token: uuid.UUID | None = None
    vencido: bool = False  # procesando con el plazo del reclamo ya pasado
    en_espera: bool = False  # pendiente que no se reintenta todavía (error pasajero)
    aplicado: bool = False

    def reclamable(self) -> bool:
        return (self.estado == "pendiente" and not self.en_espera) or (
            self.estado == "procesando" and self.vencido
        )

    def vigente(self, token: uuid.UUID) -> bool:
        return self.estado == "procesando" and self.token == token

    def vista(self) -> dict:
        return {
            "estado": self.estado,
            "intentos": self.intentos,
            "vencido": self.vencido,
            "en_espera": self.en_espera,
            "precios": self.precios if self.aplicado else {},
        }


@dataclass
class Modelo:
    archivos: list[Esperado]  # en el orden en que se reclaman (el más viejo primero)

    def de(self, pk: int) -> Esperado:
        return next(archivo for archivo in self.archivos if archivo.pk == pk)

    def reclamar(self) -> Esperado | None:
        """El más viejo reclamable; si ya gastó sus intentos se cierra con error y sigue."""
        for archivo in self.archivos:
            if not archivo.reclamable():
                continue
            archivo.intentos += 1
            archivo.token, archivo.vencido, archivo.en_espera = NUEVO, False, False
            if archivo.intentos > MAX_INTENTOS:
                archivo.estado = "error"
                continue
            archivo.estado = "procesando"
            return archivo
        return None

    def renovar(self, pk: int, token: uuid.UUID) -> bool:
        archivo = self.de(pk)
        if not archivo.vigente(token):
            return False
        archivo.vencido = False
        return True

    def confirmar(self, pk: int, token: uuid.UUID) -> bool:
        archivo = self.de(pk)
        if not archivo.vigente(token):
            return False
        archivo.estado, archivo.aplicado, archivo.vencido = "procesado", True, False
        return True

    def reprogramar(self, pk: int, token: uuid.UUID) -> bool:
        archivo = self.de(pk)
        if not archivo.vigente(token):
            return False
        archivo.vencido = False
        if archivo.intentos >= MAX_INTENTOS:
            archivo.estado = "error"
        else:
            archivo.estado, archivo.en_espera = "pendiente", True
        return True

    def vista(self) -> dict[int, dict]:
        return {archivo.pk: archivo.vista() for archivo in self.archivos}


@dataclass
class Reclamo:
    """Lo que un worker tiene en memoria después de reclamar: el archivo con su token."""

    archivo: ArchivoPendiente = field(repr=False)

    def __repr__(self) -> str:
        return f"Reclamo(archivo={self.archivo.pk}, token={str(self.archivo.token)[:8]})"

    @property
    def pk(self) -> int:
        return self.archivo.pk

    @property
    def token(self) -> uuid.UUID:
        return self.archivo.token

    def en_memoria(self) -> ArchivoPendiente:
        # procesar_archivo refresca el objeto al final (y se quedaría con el token nuevo).
        return copy.deepcopy(self.archivo)


def a_la_vez(*funciones: Callable[[], R]) -> list[R]:
    """Corre cada función en su hilo (con su conexión a la base), largando todas juntas."""
    barrera = Barrier(len(funciones))

    def en_su_hilo(funcion: Callable[[], R]) -> R:
        try:
            barrera.wait(30)
            return funcion()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(funciones)) as hilos:
        futuros = [hilos.submit(en_su_hilo, funcion) for funcion in funciones]
        return [futuro.result(timeout=120) for futuro in futuros]


class MaquinaDeReclamo(RuleBasedStateMachine):
    reclamos = Bundle("reclamos")
    creadas = 0

    def __init__(self, rutas: list[Path]) -> None:
        super().__init__()
        archivos = []
        for ruta, inicio in zip(rutas, (1, 500), strict=True):
            MaquinaDeReclamo.creadas += 1
            proveedor = Proveedor.objects.create(
                nombre=f"Proveedor {self.creadas}", abreviatura=f"M{self.creadas}"
            )
            archivo = encolar(proveedor, ruta, avisar=False)
            archivos.append(Esperado(archivo.pk, proveedor, esperados(FILAS, inicio)))
        self.modelo = Modelo(archivos)
        self.ids = [archivo.pk for archivo in archivos]
        self.entregados: list[Reclamo] = []
        cobertura["ejemplos"] += 1

    def teardown(self) -> None:
        # Que los archivos de este ejemplo no cuenten en el barrido de los siguientes.
        ArchivoPendiente.objects.filter(pk__in=self.ids).update(estado="cancelado")

    # --- Lo que se observa en la base ------------------------------------------------

    def observar(self) -> dict[int, dict]:
        ahora = timezone.now()
        vista = {}
        for esperado in self.modelo.archivos:
            fila = ArchivoPendiente.objects.values(
                "estado", "intentos", "vence_en", "proximo_intento_en"
            ).get(pk=esperado.pk)
            vista[esperado.pk] = {
                "estado": fila["estado"],
                "intentos": fila["intentos"],
                "vencido": fila["estado"] == "procesando" and fila["vence_en"] < ahora,
                "en_espera": fila["estado"] == "pendiente"
                and fila["proximo_intento_en"] is not None
                and fila["proximo_intento_en"] > ahora,
                "precios": precios_de(esperado.proveedor),
            }
        return vista

    def foto(self, sin: tuple[str, ...] = ()) -> tuple[list[dict], dict[int, dict]]:
        """Las columnas de los archivos (todas, salvo `sin`) y toda su tabla de precios."""
        filas = [
            {columna: valor for columna, valor in fila.items() if columna not in sin}
            for fila in ArchivoPendiente.objects.filter(pk__in=self.ids).order_by("pk").values()
        ]
        precios = {a.pk: precios_de(a.proveedor) for a in self.modelo.archivos}
        return filas, precios

    def adoptar(self, modelo: Modelo, ganadores: list[ArchivoPendiente | None]) -> None:
        """El modelo que coincidió con la base pasa a ser el modelo, con los tokens reales."""
        self.modelo = modelo
        for ganador in ganadores:
            if ganador is not None:
                self.modelo.de(ganador.pk).token = ganador.token
        for esperado in self.modelo.archivos:
            if esperado.token == NUEVO:
                # Un reclamo que encontró los intentos gastados y lo cerró con error: su token
                # no lo tiene ningún worker.
                token = ArchivoPendiente.objects.values_list("token", flat=True).get(pk=esperado.pk)
                assert token not in {reclamo.token for reclamo in self.entregados}
                esperado.token = token

    def entregar(self, *ganadores: ArchivoPendiente | None) -> object:
        nuevos = [Reclamo(ganador) for ganador in ganadores if ganador is not None]
        # Siempre en el mismo orden: Hypothesis repite los pasos al achicar un contraejemplo.
        nuevos.sort(key=lambda reclamo: reclamo.pk)
        self.entregados += nuevos
        return multiple(*nuevos)

    # --- Reglas -------------------------------------------------------------------

    @rule(target=reclamos)
    def reclamar(self) -> object:
        ganador = reclamar_siguiente(ids=self.ids)
        esperado = self.modelo.reclamar()
        assert (ganador and ganador.pk) == (esperado and esperado.pk)
        self.adoptar(self.modelo, [ganador])
        cobertura["reclamos"] += ganador is not None
        return self.entregar(ganador)

    @rule(target=reclamos)
    def reclamar_dos_a_la_vez(self) -> object:
        ganadores = a_la_vez(
            lambda: reclamar_siguiente(ids=self.ids),
            lambda: reclamar_siguiente(ids=self.ids),
        )
        reclamables = sum(archivo.reclamable() for archivo in self.modelo.archivos)
        # Los dos piden lo mismo: en cualquier orden es como reclamar dos veces seguidas.
        modelo = copy.deepcopy(self.modelo)
        esperado = [modelo.reclamar(), modelo.reclamar()]
        obtenidos = [g.pk for g in ganadores if g is not None]
        # Nunca dos reclamos del mismo archivo: cada uno se lleva uno distinto, o nada.
        assert len(obtenidos) == len(set(obtenidos))
        assert sorted(obtenidos) == sorted(e.pk for e in esperado if e is not None)
        self.adoptar(modelo, ganadores)
        cobertura["reclamos_a_la_vez"] += 1
        cobertura["reclamos_a_la_vez_por_un_solo_archivo"] += reclamables == 1
        return self.entregar(*ganadores)

    @rule(reclamo=reclamos)
    def renovar(self, reclamo: Reclamo) -> None:
        antes = self.foto()
        try:
            renovar_reclamo(reclamo.en_memoria(), FILAS)
            renovado = True
        except ReclamoPerdido:
            renovado = False
            assert self.foto() == antes
        assert renovado == self.modelo.renovar(reclamo.pk, reclamo.token)
        cobertura["renovaciones_rechazadas"] += not renovado

    @rule(posicion=st.sampled_from([0, 1]))
    def vencer(self, posicion: int) -> None:
        """Pasa el tiempo: vence el plazo del reclamo (o la espera de un reintento)."""
        esperado = self.modelo.archivos[posicion]
        antes = timezone.now() - timedelta(seconds=1)
        if esperado.estado == "procesando":
            ArchivoPendiente.objects.filter(pk=esperado.pk).update(vence_en=antes)
            esperado.vencido = True
        elif esperado.en_espera:
            ArchivoPendiente.objects.filter(pk=esperado.pk).update(proximo_intento_en=antes)
            esperado.en_espera = False

    @rule(target=reclamos, posicion=st.sampled_from([0, 1]))
    def vence_y_lo_reclama_otro(self, posicion: int) -> object:
        """Lo más común en la vida real: un worker se cuelga y, vencido el plazo, entra otro."""
        self.vencer(posicion)
        return self.reclamar()

    @rule()
    def barrer(self) -> None:
        aviso = services.barrer_pendientes()
        assert (aviso is not None) == any(a.reclamable() for a in self.modelo.archivos)

    @rule(reclamo=reclamos)
    def reprogramar_por_error_pasajero(self, reclamo: Reclamo) -> None:
        antes = self.foto()
        reintentar_mas_tarde(reclamo.en_memoria(), OperationalError("corte simulado"))
        if not self.modelo.reprogramar(reclamo.pk, reclamo.token):
            assert self.foto() == antes

    @rule(reclamo=reclamos)
    def confirmar(self, reclamo: Reclamo) -> None:
        antes, antes_sin_avance = self.foto(), self.foto(sin=AVANCE)
        reemplazado = self.modelo.de(reclamo.pk).token != reclamo.token
        vigente = self.modelo.confirmar(reclamo.pk, reclamo.token)
        services.procesar_archivo(reclamo.en_memoria())
        if vigente:
            cobertura["confirmaciones_vigentes"] += 1
        elif reemplazado:
            # Un token viejo no cambia nada: ni una columna del archivo ni un precio.
            assert self.foto() == antes
            cobertura["confirmaciones_con_token_viejo"] += 1
        else:
            assert self.foto(sin=AVANCE) == antes_sin_avance
            cobertura["confirmaciones_de_un_reclamo_cerrado"] += 1

    @rule(target=reclamos, reclamo=reclamos)
    def confirmar_mientras_otro_reclama(self, reclamo: Reclamo) -> object:
        """Un worker confirma mientras otro reclama: tiene que dar lo mismo que en algún orden."""
        confirma_primero = copy.deepcopy(self.modelo)
        confirma_primero.confirmar(reclamo.pk, reclamo.token)
        reclama_primero = copy.deepcopy(self.modelo)
        ordenes = {
            "confirma_primero": (confirma_primero, confirma_primero.reclamar()),
            "reclama_primero": (reclama_primero, reclama_primero.reclamar()),
        }
        reclama_primero.confirmar(reclamo.pk, reclamo.token)

        _procesado, ganador = a_la_vez(
            lambda: services.procesar_archivo(reclamo.en_memoria()),
            lambda: reclamar_siguiente(ids=self.ids),
        )
        vista = self.observar()
        coinciden = [
            orden
            for orden, (modelo, esperado) in ordenes.items()
            if (ganador and ganador.pk) == (esperado and esperado.pk) and modelo.vista() == vista
        ]
        assert coinciden, f"Ningún orden explica {vista} (reclamó {ganador})"
        self.adoptar(ordenes[coinciden[0]][0], [ganador])
        cobertura["carreras"] += 1
        if len(coinciden) == 1:
            cobertura[f"carreras_que_{coinciden[0]}"] += 1
        return self.entregar(ganador)

    # --- Invariantes ----------------------------------------------------------------

    @invariant()
    def la_base_coincide_con_el_modelo(self) -> None:
        assert self.observar() == self.modelo.vista()
        tokens = dict(ArchivoPendiente.objects.filter(pk__in=self.ids).values_list("pk", "token"))
        assert tokens == {a.pk: a.token for a in self.modelo.archivos}

    @invariant()
    def a_lo_sumo_un_reclamo_vigente_por_archivo(self) -> None:
        ahora = timezone.now()
        for pk in self.ids:
            fila = ArchivoPendiente.objects.values("estado", "token", "vence_en").get(pk=pk)
            vigentes = [
                r
                for r in self.entregados
                if r.pk == pk
                and fila["estado"] == "procesando"
                and r.token == fila["token"]
                and fila["vence_en"] > ahora
            ]
            assert len(vigentes) <= 1

    @invariant()
    def los_intentos_no_pasan_del_maximo(self) -> None:
        for estado, intentos in ArchivoPendiente.objects.filter(pk__in=self.ids).values_list(
            "estado", "intentos"
        ):
            # El reclamo que encuentra los intentos gastados sólo cierra el archivo con error.
            assert intentos <= MAX_INTENTOS + 1
            assert estado != "procesando" or intentos <= MAX_INTENTOS
            assert intentos <= MAX_INTENTOS or estado == "error"


def test_reclamo_plazo_y_token_bajo_concurrencia_mantienen_sus_invariantes(
    broker_propio, planillas, settings
):
    settings.TARIFARIO_MAX_INTENTOS = MAX_INTENTOS
    settings.TARIFARIO_LEASE_SEGUNDOS = 600
    rutas = [
        planillas["csv"]({"L": lista_con_banner(FILAS)}, "a.csv"),
        planillas["csv"]({"L": lista_con_banner(FILAS, inicio=500)}, "b.csv"),
    ]
    cobertura.clear()
    inicio = time.monotonic()
    # El barrido publica avisos de verdad: en un broker propio, que nadie consume.
    with publicando_en(broker_propio.url):
        run_state_machine_as_test(
            lambda: MaquinaDeReclamo(rutas),
            settings=ajustes(
                max_examples=30,
                # Sin achicar: los pasos con hilos no se repiten igual y achicar terminaría en
                # FlakyStrategyDefinition. Un fallo muestra la secuencia entera, que alcanza.
                phases=[Phase.generate],
                stateful_step_count=15,
                deadline=None,
                database=None,
                suppress_health_check=[HealthCheck.too_slow],
            ),
        )
    duracion = time.monotonic() - inicio

    # Qué caminos recorrió esta vez (la secuencia de abajo asegura los que importan).
    medir(
        "20-maquina-de-reclamo",
        motor=connection.vendor,
        total_s=f"{duracion:.1f}",
        **dict(sorted(cobertura.items())),
    )


def comprobar(maquina: MaquinaDeReclamo) -> None:
    maquina.la_base_coincide_con_el_modelo()
    maquina.a_lo_sumo_un_reclamo_vigente_por_archivo()
    maquina.los_intentos_no_pasan_del_maximo()


def test_un_worker_con_el_plazo_vencido_no_confirma_nada_si_otro_reclamo_el_archivo(
    broker_propio, planillas, settings
):
    """Los caminos que importan, siempre: la máquina de arriba los recorre al azar."""
    settings.TARIFARIO_MAX_INTENTOS = MAX_INTENTOS
    settings.TARIFARIO_LEASE_SEGUNDOS = 600
    rutas = [
        planillas["csv"]({"L": lista_con_banner(FILAS)}, "a.csv"),
        planillas["csv"]({"L": lista_con_banner(FILAS, inicio=500)}, "b.csv"),
    ]
    with publicando_en(broker_propio.url):
        maquina = MaquinaDeReclamo(rutas)

        def a() -> Esperado:
            return maquina.modelo.archivos[0]

        maquina.reclamar()
        (viejo,) = maquina.entregados
        comprobar(maquina)
        # Dos workers a la vez y queda un solo archivo reclamable: uno se lo lleva, el otro nada.
        maquina.reclamar_dos_a_la_vez()
        assert [r.pk for r in maquina.entregados] == maquina.ids
        comprobar(maquina)
        # Los dos reclamados y con el plazo al día: el barrido no tiene a quién despertar.
        maquina.barrer()
        assert services.barrer_pendientes() is None

        # El primero "se cuelga": vence su plazo y otro worker lo reclama.
        maquina.vencer(0)
        comprobar(maquina)
        assert services.barrer_pendientes() is not None
        maquina.reclamar()
        nuevo = maquina.entregados[-1]
        assert (nuevo.pk, a().intentos) == (a().pk, 2)
        comprobar(maquina)

        # El colgado vuelve: no renueva, no reprograma y no confirma nada.
        antes = maquina.foto()
        maquina.renovar(viejo)
        maquina.reprogramar_por_error_pasajero(viejo)
        maquina.confirmar(viejo)
        comprobar(maquina)
        assert maquina.foto() == antes
        assert (a().estado, a().token, precios_de(a().proveedor)) == ("procesando", nuevo.token, {})

        # El que lo tiene ahora sí confirma, una sola vez.
        maquina.confirmar(nuevo)
        comprobar(maquina)
        maquina.confirmar(nuevo)
        comprobar(maquina)
        assert (a().estado, precios_de(a().proveedor)) == ("procesado", a().precios)

        # Carrera: confirma el que tiene b mientras otro intenta reclamarlo con el plazo vencido.
        maquina.vencer(1)
        maquina.confirmar_mientras_otro_reclama(maquina.entregados[1])
        comprobar(maquina)
        maquina.teardown()
