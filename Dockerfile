# One image for every process type of the Procfile; docker-compose.yml picks each one's command.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production \
    LOG_TO_FILES=false \
    PORT=8000

WORKDIR /app
RUN useradd --create-home --uid 10001 app

# The pinned installer, then the runtime lock only (the development tools are in
# requirements-dev.txt), every file hash-checked.
COPY requirements-pip.txt requirements.txt ./
RUN pip install --require-hashes -r requirements-pip.txt
RUN pip install --require-hashes -r requirements.txt

COPY . .
# collectstatic only loads the settings: a throwaway key and broker URL satisfy production's checks
# and nothing connects. The runtime secret comes from the environment. The app user owns
# staticfiles/: the Procfile's release step runs collectstatic again, which rewrites the manifest
# and the hashed CSS, and fails on files it cannot replace.
RUN DJANGO_SECRET_KEY=build-only-collectstatic-key CELERY_BROKER_URL=redis://localhost:6379/0 \
        python manage.py collectstatic --noinput \
    && mkdir -p var logs \
    && chown -R app:app var logs staticfiles

USER app
EXPOSE 8000
CMD ["gunicorn", "-c", "gunicorn.conf.py", "config.wsgi"]
