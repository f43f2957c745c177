"""Si una tarea encolada se canceló antes de empezar.

`revoke()` de Celery sólo llega a los workers en línea: quien guarda la cancelación (el
monitor de tareas, en su base) registra acá cómo consultarla, y las tareas preguntan sin
saber quién la guardó. Así `importaciones` no depende del monitor, que sí depende de ella.
"""

from collections.abc import Callable

_consultas: list[Callable[[str], bool]] = []


def registrar(consulta: Callable[[str], bool]) -> None:
    if consulta not in _consultas:
        _consultas.append(consulta)


def fue_cancelada(tarea_id: str) -> bool:
    return any(consulta(tarea_id) for consulta in _consultas)
