from datetime import date, datetime, time, timedelta

from django import forms
from django.utils import timezone

from proveedores.models import Proveedor

from .models import RegistroTarea


class FiltroTareasForm(forms.Form):
    estado = forms.ChoiceField(
        choices=[("", "Todos los estados"), *RegistroTarea.Estado.choices], required=False
    )
    desde = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    hasta = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    nombre = forms.ChoiceField(required=False)
    proveedor = forms.ModelChoiceField(
        Proveedor.objects.all(), required=False, empty_label="Todos los proveedores"
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        nombres = (
            RegistroTarea.objects.order_by("nombre").values_list("nombre", flat=True).distinct()
        )
        self.fields["nombre"].choices = [("", "Todas las tareas"), *((n, n) for n in nombres)]

    def filtrar(self, registros):
        if not self.is_valid():
            return registros
        datos = self.cleaned_data
        if datos["estado"]:
            registros = registros.filter(estado=datos["estado"])
        # Rangos de fecha y hora (no __date): así usan el índice por fecha.
        if datos["desde"]:
            registros = registros.filter(encolada_en__gte=_inicio_del_dia(datos["desde"]))
        if datos["hasta"]:
            registros = registros.filter(
                encolada_en__lt=_inicio_del_dia(datos["hasta"] + timedelta(days=1))
            )
        if datos["nombre"]:
            registros = registros.filter(nombre=datos["nombre"])
        if datos["proveedor"]:
            registros = registros.filter(proveedor=datos["proveedor"])
        return registros


class PurgaForm(forms.Form):
    dias = forms.IntegerField(min_value=1, max_value=3650, initial=90)


def _inicio_del_dia(dia: date) -> datetime:
    return timezone.make_aware(datetime.combine(dia, time.min))
