import pytest

# procesos.py no es un módulo de pruebas: sin esto sus assert fallarían sin el detalle de pytest.
pytest.register_assert_rewrite("importaciones.tests.procesos")
