"""Entry point for a WSGI server: `gunicorn wsgi:app`."""

from kiosk import create_app

app = create_app()
