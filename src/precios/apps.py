from django.apps import AppConfig
from django.db.models.signals import post_migrate


class PreciosConfig(AppConfig):
    name = "precios"
    verbose_name = "Precios"

    def ready(self) -> None:
        from .busqueda import reparar_triggers_sqlite

        post_migrate.connect(reparar_triggers_sqlite, sender=self)
