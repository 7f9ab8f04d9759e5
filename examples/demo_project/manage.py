#!/usr/bin/env python3
"""Django's command-line utility for the demo project."""
import os
import sys


def main():
    # Tests run with DJANGO_SETTINGS_MODULE=demo.settings_test (eager Celery,
    # in-memory SQLite, a throwaway secret).
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "demo.settings")
    try:
        from django.core.management import execute_from_command_line
    except ImportError as exc:
        raise ImportError(
            "Couldn't import Django. Is it installed and available on your "
            "PYTHONPATH environment variable? Did you forget to activate a "
            "virtual environment?"
        ) from exc
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
