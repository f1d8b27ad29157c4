FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml ./
COPY shared ./shared
COPY services ./services
COPY scripts ./scripts
RUN pip install --no-cache-dir . && useradd --create-home tremplin && mkdir -p /app/var && chown tremplin /app/var
USER tremplin
