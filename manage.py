#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main():
    """Run administrative tasks."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # Operator commands default to development mode so a checkout works out of the box
    # (makemigrations, seed_demo…). The processes that serve traffic — gunicorn through
    # config/wsgi.py and the Celery worker — do not read this default: with DEBUG unset they
    # refuse the insecure development SECRET_KEY. Set DEBUG=0 to run a command in production mode.
    os.environ.setdefault("DEBUG", "1")
    try:
        from django.core.management import execute_from_command_line
    except ImportError as exc:
        raise ImportError(
            "Couldn't import Django. Are you sure it's installed and "
            "available on your PYTHONPATH environment variable? Did you "
            "forget to activate a virtual environment?"
        ) from exc
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
