"""Las dependencias entre módulos van en una sola dirección (docs/ARQUITECTURA.md).

Se leen los imports de cada módulo de src/ (también los que están dentro de una función,
que es donde suele esconderse un círculo) sin ejecutar nada.
"""

import ast
import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[2]
# Cada app puede importar las de su nivel o de más abajo, nunca las de arriba.
CAPAS = ["core_config", "proveedores", "precios", "importaciones", "monitor_tareas"]


def _modulos() -> dict[str, Path]:
    modulos = {}
    for ruta in SRC.rglob("*.py"):
        relativa = ruta.relative_to(SRC)
        if relativa.parts[0] not in CAPAS or "tests" in relativa.parts:
            continue
        partes = list(relativa.with_suffix("").parts)
        if partes[-1] == "__init__":
            partes.pop()
        modulos[".".join(partes)] = ruta
    return modulos


def _importados(nombre: str, ruta: Path, modulos: dict[str, Path]) -> set[str]:
    """Los módulos del proyecto que `nombre` importa: `from x import y` cuenta x.y si es un
    módulo (`from . import csv` dentro de un paquete no depende del `__init__` del paquete)
    y x si no."""
    paquete = nombre if ruta.name == "__init__.py" else nombre.rpartition(".")[0]
    nombres = set()
    for nodo in ast.walk(ast.parse(ruta.read_text(encoding="utf-8"))):
        if isinstance(nodo, ast.Import):
            nombres.update(alias.name for alias in nodo.names)
        elif isinstance(nodo, ast.ImportFrom):
            base = nodo.module or ""
            if nodo.level:
                arriba = paquete.split(".")[: len(paquete.split(".")) - nodo.level + 1]
                base = ".".join([*arriba, base] if base else arriba)
            for alias in nodo.names:
                nombres.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in modulos else base)
    return {n for n in nombres if n in modulos and n != nombre}


def _grafo() -> dict[str, set[str]]:
    modulos = _modulos()
    return {nombre: _importados(nombre, ruta, modulos) for nombre, ruta in modulos.items()}


def test_cada_app_importa_solo_las_de_abajo():
    subidas = [
        f"{modulo} importa {importado}"
        for modulo, importados in _grafo().items()
        for importado in importados
        if CAPAS.index(importado.split(".")[0]) > CAPAS.index(modulo.split(".")[0])
    ]
    assert subidas == []


def test_no_hay_circulos_de_imports():
    grafo = _grafo()
    circulos = []
    # Búsqueda en profundidad: un módulo que se vuelve a ver mientras está en el camino
    # cierra un círculo.
    estado: dict[str, str] = {}

    def visitar(modulo: str, camino: list[str]) -> None:
        estado[modulo] = "en camino"
        for importado in sorted(grafo[modulo]):
            if estado.get(importado) == "en camino":
                circulos.append(" → ".join([*camino[camino.index(importado) :], importado]))
            elif importado not in estado:
                visitar(importado, [*camino, importado])
        estado[modulo] = "visto"

    for modulo in sorted(grafo):
        if modulo not in estado:
            visitar(modulo, [modulo])
    assert circulos == []


def test_nada_dentro_de_la_app_usa_la_fachada_del_sistema_original():
    # ExcelRepository es el nombre del sistema original para quien llama desde afuera; por
    # dentro, todos llaman a services (una sola implementación).
    usan = [m for m, importados in _grafo().items() if "importaciones.repositories" in importados]
    assert usan == []


def test_el_grafo_ve_los_imports_que_hay():
    # Si el lector de imports dejara de ver algo, las pruebas de arriba pasarían sin mirar.
    grafo = _grafo()
    assert "importaciones.models" in grafo["importaciones.services"]
    assert "importaciones.reclamo" in grafo["importaciones.services"]
    assert "proveedores.models" in grafo["precios.models"]
    assert "importaciones.models" in grafo["monitor_tareas.models"]


def test_cada_modulo_y_funcion_que_nombra_la_arquitectura_existe():
    documento = (SRC.parent / "docs" / "ARQUITECTURA.md").read_text(encoding="utf-8")
    nombrados = re.findall(r"`([^`\s]+)`", documento)
    archivos = [p.relative_to(SRC.parent).as_posix() for p in SRC.rglob("*.py")]
    faltan = [
        nombre
        for nombre in nombrados
        if nombre.endswith(".py")
        and not any(a == nombre or a.endswith("/" + nombre) for a in archivos)
    ]
    # `services.registrar_subida`, `reclamo.finalizar`: una función de ese módulo de importaciones.
    for modulo, funcion in re.findall(r"`(services|reclamo)\.(\w+)`", documento):
        codigo = (SRC / "importaciones" / f"{modulo}.py").read_text(encoding="utf-8")
        if not re.search(rf"^def {funcion}\(", codigo, re.M):
            faltan.append(f"{modulo}.{funcion}")
    assert len(nombrados) > 20
    assert faltan == []
