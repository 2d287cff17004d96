FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DATABASE_URL=sqlite+aiosqlite:////app/data/concierge.db

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot bot
COPY handlers handlers
COPY storage storage
COPY content content
COPY scheduler scheduler
RUN pip install . \
    && useradd --create-home --uid 10001 concierge \
    && mkdir -p /app/data && chown concierge /app/data

USER concierge
VOLUME ["/app/data"]
EXPOSE 8080
CMD ["concierge", "run"]
