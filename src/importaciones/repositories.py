from . import services


class ExcelRepository:
    """Nombre del sistema original; delega en services (una sola implementación)."""

    @staticmethod
    def procesar_pendientes(
        limit: int | None = None,
        archivo_id: int | None = None,
        al_avanzar: services.AlAvanzar | None = None,
    ) -> list[dict]:
        return services.procesar_pendientes(
            limite=limit, archivo_id=archivo_id, al_avanzar=al_avanzar
        )
