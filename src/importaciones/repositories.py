from . import services
from .conversion import AlAvanzar


class ExcelRepository:
    """Nombre del sistema original, para quien lo llame desde afuera (un shell, un script).

    Delega en services (una sola implementación); nada dentro de la app lo importa.
    """

    @staticmethod
    def procesar_pendientes(
        limit: int | None = None,
        archivo_id: int | None = None,
        al_avanzar: AlAvanzar | None = None,
    ) -> list[dict]:
        return services.procesar_pendientes(
            limite=limit, archivo_id=archivo_id, al_avanzar=al_avanzar
        )
