import unicodedata
from itertools import zip_longest

from django import forms
from django.core.files.uploadedfile import UploadedFile

from core_config.subidas import maximo_bytes, mensaje_excedida
from proveedores.models import Proveedor

from .lectores import HojaPrevia, letra_columna
from .models import CAMPOS, CAMPOS_REQUERIDOS
from .sugerencias import encabezado_combinado

ETIQUETAS = {
    "codigo": "Código",
    "descripcion": "Descripción",
    "precio": "Precio de lista",
    "bulto": "Bulto (unidades)",
    "iva": "IVA",
    "codigo_barras": "Código de barras",
    "marca": "Marca",
}


def nombre_limpio(nombre: str) -> str:
    """El nombre original sin caracteres de control (NUL, saltos de línea, etc.).

    Es sólo un dato para mostrar (en disco va un nombre generado), pero PostgreSQL
    no acepta NUL en un texto y un salto de línea rompería los logs.
    """
    limpio = "".join(c for c in nombre if unicodedata.category(c) != "Cc").strip()
    return limpio if limpio.strip(".") else "planilla"


class SubidaForm(forms.Form):
    proveedor = forms.ModelChoiceField(
        Proveedor.objects.all(), required=False, empty_label="— Elegí un proveedor —"
    )
    nuevo_nombre = forms.CharField(
        label="Nombre del proveedor nuevo", max_length=200, required=False
    )
    nueva_abreviatura = forms.CharField(
        label="Abreviatura", max_length=20, required=False, help_text="Ej.: VAL (forma 37/VAL)."
    )
    archivo = forms.FileField(
        label="Planilla",
        help_text=".xlsx, .xls, .ods o .csv",
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.xls,.ods,.csv"}),
    )

    def clean_nueva_abreviatura(self) -> str:
        abreviatura = self.cleaned_data["nueva_abreviatura"].strip().upper()
        if abreviatura and not abreviatura.isalnum():
            raise forms.ValidationError("Usá sólo letras y números, sin espacios.")
        if abreviatura and Proveedor.objects.filter(abreviatura=abreviatura).exists():
            raise forms.ValidationError(
                "Ya hay un proveedor con esa abreviatura: elegilo de la lista."
            )
        return abreviatura

    def __init__(self, *args, excedida: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # El tope de subida cortó el archivo mientras llegaba (request.FILES quedó sin él):
        # hay que decir eso y no "este campo es obligatorio".
        self.excedida = excedida
        if excedida:
            self.fields["archivo"].required = False

    def clean_archivo(self) -> UploadedFile:
        if self.excedida:
            raise forms.ValidationError(mensaje_excedida())
        archivo = self.cleaned_data["archivo"]
        if archivo.size == 0:
            raise forms.ValidationError("El archivo está vacío.")
        # Respaldo del handler de subida (p. ej. si alguien cambia FILE_UPLOAD_HANDLERS).
        if archivo.size > maximo_bytes():
            raise forms.ValidationError(mensaje_excedida())
        archivo.name = nombre_limpio(archivo.name)
        return archivo

    def clean(self) -> dict:
        datos = super().clean()
        nuevo = datos.get("nuevo_nombre") or datos.get("nueva_abreviatura")
        if not datos.get("proveedor") and not nuevo:
            raise forms.ValidationError("Elegí un proveedor o cargá uno nuevo.")
        if nuevo and not (datos.get("nuevo_nombre") and datos.get("nueva_abreviatura")):
            raise forms.ValidationError("Para un proveedor nuevo hacen falta nombre y abreviatura.")
        return datos

    def obtener_proveedor(self) -> Proveedor:
        if proveedor := self.cleaned_data.get("proveedor"):
            return proveedor
        return Proveedor.objects.create(
            nombre=self.cleaned_data["nuevo_nombre"],
            abreviatura=self.cleaned_data["nueva_abreviatura"],
        )


class MapeoHojaForm(forms.Form):
    """Qué hoja importar, en qué fila está el encabezado y qué columna tiene cada dato."""

    importar = forms.BooleanField(required=False)
    fila_encabezado = forms.IntegerField(
        min_value=1,
        label="Fila de encabezado",
        error_messages={
            "required": "Poné el número de la fila del encabezado.",
            "invalid": "Poné el número de la fila del encabezado (un número entero, p. ej. 4).",
            "min_value": "La fila de encabezado es un número de 1 en adelante.",
        },
    )
    sin_codigo = forms.BooleanField(
        label="Sin columna de código",
        required=False,
        help_text="La lista no trae códigos: cada artículo se identifica por su descripción.",
    )

    def __init__(self, *args, hoja: HojaPrevia, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.hoja = hoja
        if hoja.total_filas:
            # Django completa este mensaje con %: un «%» en el nombre de la hoja va doble.
            mensaje = self._fuera_de_rango().replace("%", "%%")
            self.fields["fila_encabezado"].error_messages["min_value"] = mensaje
        encabezado = self._encabezado()
        opciones = [("", "—")] + [
            (
                letra_columna(i),
                f"{letra_columna(i)} · {texto[:40]}" if texto else letra_columna(i),
            )
            for i, texto in enumerate(encabezado + [""] * (max(hoja.ancho, 1) - len(encabezado)))
        ]
        for campo in CAMPOS:
            self.fields[campo] = forms.ChoiceField(
                label=ETIQUETAS[campo], choices=opciones, required=False
            )

    def _encabezado(self) -> list[str]:
        """El título de cada columna en la fila de encabezado (la que se mandó, si es un
        número, o la propuesta), con las filas de abajo si está partido en varias: dos
        columnas «PRECIO» / «ACTUAL» y «PRECIO» / «ANTERIOR» no pueden verse iguales."""
        fila = self.initial.get("fila_encabezado") or 1
        if self.is_bound:
            enviada = self.data.get(self.add_prefix("fila_encabezado"), "")
            fila = int(enviada) if enviada.strip().isdigit() else fila
        if not 0 < fila <= len(self.hoja.filas):
            return []
        combinados, _alto = encabezado_combinado(self.hoja.filas, fila)
        return [
            combinado or ("" if celda in (None, "") else str(celda).strip())
            for combinado, celda in zip_longest(combinados, self.hoja.filas[fila - 1])
        ]

    def _fuera_de_rango(self) -> str:
        nombre, total = self.hoja.nombre, self.hoja.total_filas
        if total == 1:
            return f"La hoja «{nombre}» tiene una sola fila: la fila de encabezado es la 1."
        return (
            f"La hoja «{nombre}» tiene {total} filas: la fila de encabezado tiene que estar "
            f"entre 1 y {total}."
        )

    def clean(self) -> dict:
        datos = super().clean()
        if not datos.get("importar"):
            return datos
        # Sólo en las hojas que se importan: una hoja vacía que no se marca no tiene que
        # trabar la confirmación de las otras.
        total = self.hoja.total_filas
        if total == 0:
            self.add_error("fila_encabezado", f"La hoja «{self.hoja.nombre}» está vacía.")
        elif total is not None and datos.get("fila_encabezado", 0) > total:
            self.add_error("fila_encabezado", self._fuera_de_rango())
        if datos.get("sin_codigo"):
            # El código no se lee: que una columna elegida antes no quede "usada".
            datos["codigo"] = ""
        for campo in CAMPOS_REQUERIDOS:
            if not datos.get(campo) and not (campo == "codigo" and datos.get("sin_codigo")):
                self.add_error(
                    campo,
                    "Elegí la columna, o marcá «sin columna de código»."
                    if campo == "codigo"
                    else "Elegí la columna.",
                )
        elegidas = [datos[c] for c in CAMPOS if datos.get(c)]
        if len(elegidas) != len(set(elegidas)):
            raise forms.ValidationError("Cada columna puede usarse para un solo dato.")
        return datos

    def mapeo(self) -> dict:
        return {
            "fila_encabezado": self.cleaned_data["fila_encabezado"],
            "columnas": {campo: self.cleaned_data.get(campo) or "" for campo in CAMPOS},
            "sin_codigo": bool(self.cleaned_data.get("sin_codigo")),
        }
