FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY adapters ./adapters
COPY summarizer ./summarizer
RUN pip install . && useradd --create-home --uid 10001 digest
USER digest
# 9108: METRICS_PORT (/metrics, /healthz); 8443: TELEGRAM_WEBHOOK_PORT in webhook mode.
EXPOSE 9108 8443
ENTRYPOINT ["arxiv-digest"]
CMD ["run"]
