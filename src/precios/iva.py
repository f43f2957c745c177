"""El IVA de un artículo cuando su lista no lo trae.

Sin Django: lo usa también el lector aislado (importaciones/lector.py) al normalizar.
"""

from decimal import Decimal

IVA_POR_DEFECTO = Decimal("0.21")
