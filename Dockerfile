# Imagen de Tarifario (arm64 para la Raspberry Pi 4, y amd64): sólo wheels, sin compilar.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 DATA_DIR=/data
WORKDIR /app

# pg_dump/pg_restore para `respaldar` (misma versión mayor que el servicio db: 15).
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/*

COPY requirements.txt .
RUN pip install --only-binary=:all: -r requirements.txt

COPY src/ src/
# collectstatic no necesita secretos reales; la clave de este paso no se usa al correr.
RUN SECRET_KEY=solo-para-collectstatic python src/manage.py collectstatic --noinput \
    && useradd --create-home --uid 1000 tarifario \
    && mkdir -p /data /respaldos && chown tarifario /data /respaldos

USER tarifario
EXPOSE 8001
CMD ["gunicorn", "--chdir", "src", "--bind", "0.0.0.0:8001", "--workers", "2", "--timeout", "60", "core_config.wsgi"]
