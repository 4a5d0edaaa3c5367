FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=config.settings.production
WORKDIR /app

COPY pyproject.toml README.md ./
COPY config ./config
COPY org ./org
COPY leads ./leads
COPY activities ./activities
COPY handoffs ./handoffs
COPY opportunities ./opportunities
COPY dashboards ./dashboards
RUN pip install --no-cache-dir -e .
COPY . .
RUN SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput

RUN useradd --system --home /app kakehashi && chown -R kakehashi /app
USER kakehashi
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
