# Tarifario: `make run` arranca todo en esta máquina; `make test` corre las pruebas.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PUERTO ?= 8001
# Base PostgreSQL para la segunda pasada de pruebas (pytest-django crea test_<nombre>).
PG_PRUEBAS_URL ?= postgres://postgres@127.0.0.1:5432/test

.PHONY: install run test test-sqlite test-postgres lint format lock bench bench-monitor

install: $(VENV)/.instalado

$(VENV)/.instalado: requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

src/.env:
	@$(PY) -c "import secrets; print('DEBUG=1\nSECRET_KEY=' + secrets.token_urlsafe(50))" > $@
	@echo "Se creó src/.env (modo desarrollo). Ver src/.env.example para todas las variables."

run: install src/.env
	$(PY) src/manage.py migrate --noinput
	$(PY) src/manage.py iniciar_local --puerto $(PUERTO)

test: install lint test-sqlite test-postgres

lint:
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test-sqlite: install
	DATABASE_URL= $(PY) -m pytest $(PYTEST_ARGS)

# En CI (CI=true) PostgreSQL es obligatorio; en una máquina sin PostgreSQL se avisa y se omite.
test-postgres: install
	@if $(PY) -c "import psycopg, sys; psycopg.connect(sys.argv[1], connect_timeout=3).close()" "$(PG_PRUEBAS_URL)" 2>/dev/null; then \
		echo "== Pruebas en PostgreSQL ($(PG_PRUEBAS_URL)) =="; \
		DATABASE_URL=$(PG_PRUEBAS_URL) $(PY) -m pytest $(PYTEST_ARGS); \
	elif [ "$$CI" = "true" ]; then \
		echo "PostgreSQL no responde en $(PG_PRUEBAS_URL) y en CI es obligatorio."; exit 1; \
	else \
		echo "AVISO: PostgreSQL no responde en $(PG_PRUEBAS_URL): se omitió la pasada en PostgreSQL."; \
	fi

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Regenera los locks desde requirements.in / requirements-dev.in en un entorno limpio.
lock:
	rm -rf .venv-lock && $(PYTHON) -m venv .venv-lock
	.venv-lock/bin/pip install --quiet -r requirements.in
	.venv-lock/bin/pip freeze --exclude-editable | sort > requirements.txt
	.venv-lock/bin/pip install --quiet -r requirements-dev.in
	(echo "-r requirements.txt"; .venv-lock/bin/pip freeze | sort | grep -vxFf requirements.txt) > requirements-dev.txt
	rm -rf .venv-lock

# Mide la importación (1k, 100k y 1M filas; xlsx y csv; SQLite y PostgreSQL) contra el
# importador fila a fila y django-import-export. Corrida rápida: make bench FILAS=1000,10000
bench: install
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-bench.txt
	$(PY) bench/importacion.py --filas $(or $(FILAS),1000,100000,1000000) --postgres $(PG_PRUEBAS_URL) $(BENCH_ARGS)

# Monitor de tareas: latencia encolar → empezar y la lista con 100k tareas de historial.
bench-monitor: install
	$(PY) bench/monitor.py --postgres $(PG_PRUEBAS_URL)

# Búsqueda del mostrador con 1M de precios: p50/p95/máx de ~200 búsquedas por motor. Borra y
# crea su propia base en el servidor de PG_PRUEBAS_URL. Corrida rápida: BENCH_ARGS="--filas 100000"
bench-busqueda: install
	$(PY) bench/busqueda.py --postgres $(dir $(PG_PRUEBAS_URL))tarifario_bench_busqueda $(BENCH_ARGS)
