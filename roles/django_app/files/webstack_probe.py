"""Checks that a release of a Django project starts, before it goes live.

    <release>/venv/bin/python webstack_probe.py --settings django_app_settings_module=mysite.settings \\
        --wsgi django_app_wsgi_module=mysite.wsgi:application [--asgi django_app_asgi_module=mysite.asgi:application] \\
        [--celery django_app_celery_module=mysite] [--check-deploy [--check-fail-level error|security|warning]]

Run in the release directory with the app's environment. It imports the settings module, sets
Django up with DJANGO_SETTINGS_MODULE (default: the settings module), imports the WSGI callable
(and the ASGI one when asked) and finds the Celery app the way `celery -A` does; with --check-deploy it then runs Django's
deployment checks (`check --deploy`) in the same process (one start of the release's Python
instead of two) and reports under "check" the messages that refuse the release at
--check-fail-level (errors; and security warnings, the default; or every warning) and the
warnings that do not. On success: one JSON line
on stdout, exit 0 (whatever the check found). On the first failure: one line on stderr naming
the variable and the module, exit 1.
Whatever the project prints meanwhile is dropped; an error message quoting a key, a password or
a URL from the environment has it masked.
"""
import argparse
import contextlib
import importlib
import io
import json
import os
import re
import sys
from urllib.parse import unquote

# Values of these environment variables are masked should an error message quote them.
SECRET_NAMES = re.compile(r"SECRET|PASSWORD|PASSWD|TOKEN|KEY|_URL$|_DSN$|_BACKEND$", re.IGNORECASE)


class ProbeError(Exception):
    """The one line to print: '<variable>: <what failed>'."""


def describe(exc):
    """'<Type>: <first line of the message>', secrets masked."""
    lines = str(exc).strip().splitlines()
    return mask(f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__)


def mask(text):
    """The text with every secret value of the environment (and a URL's password) masked."""
    for name, value in os.environ.items():
        if SECRET_NAMES.search(name) and len(value) >= 4:
            text = text.replace(value, f"<{name}>")
            match = re.match(r"[^:/]+://[^:@/]*:([^@/]+)@", value)  # a URL's password, as written and decoded
            for password in (match.group(1), unquote(match.group(1))) if match else ():
                if len(password) >= 4:
                    text = text.replace(password, "<password>")
    return text


def target(option):
    """'variable=module' -> (variable, module); a bare module is labelled with the option."""
    def parse(value):
        variable, sep, module = value.partition("=")
        return (variable, module) if sep else (option, value)
    return parse


def load(variable, module):
    try:
        return importlib.import_module(module)
    except (Exception, SystemExit) as exc:  # pylint: disable=broad-except
        raise ProbeError(f"{variable}: cannot import {module}: {describe(exc)}") from None


def find_celery_app(variable, spec):
    """(location, app) for `celery -A spec`: module:attr, module.app, module.celery, module.celery:app|celery."""
    Celery = getattr(load(variable, "celery"), "Celery")  # pylint: disable=invalid-name

    module_name, sep, attr = spec.partition(":")
    module = load(variable, module_name)
    if sep:
        if isinstance(getattr(module, attr, None), Celery):
            return spec, getattr(module, attr)
        raise ProbeError(f"{variable}: no Celery app in {module_name} (looked for {attr})")
    for attr in ("app", "celery"):
        if isinstance(getattr(module, attr, None), Celery):
            return f"{module_name}:{attr}", getattr(module, attr)
    if hasattr(module, "__path__"):
        sub_name = f"{module_name}.celery"
        try:
            sub = importlib.import_module(sub_name)
        except ModuleNotFoundError as exc:
            if exc.name != sub_name:
                raise ProbeError(f"{variable}: cannot import {sub_name}: {describe(exc)}") from None
            sub = None
        except (Exception, SystemExit) as exc:  # pylint: disable=broad-except
            raise ProbeError(f"{variable}: cannot import {sub_name}: {describe(exc)}") from None
        for attr in ("app", "celery"):
            if isinstance(getattr(sub, attr, None), Celery):
                return f"{sub_name}:{attr}", getattr(sub, attr)
    for attr, value in sorted(vars(module).items()):
        if isinstance(value, Celery):
            return f"{module_name}:{attr}", value
    raise ProbeError(f"{variable}: no Celery app in {module_name} (looked for app, celery, {module_name}.celery:app)")


def probe(args):
    settings_var, settings_module = args.settings
    load(settings_var, settings_module)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings_module)
    effective = os.environ["DJANGO_SETTINGS_MODULE"]
    try:
        import django  # pylint: disable=import-outside-toplevel
        from django.conf import settings  # pylint: disable=import-outside-toplevel

        django.setup()
        report = {
            "debug": bool(settings.DEBUG),
            "settings": effective,
            "static_root": None if settings.STATIC_ROOT is None else str(settings.STATIC_ROOT),
            "static_url": None if settings.STATIC_URL is None else str(settings.STATIC_URL),
            "database_engine": settings.DATABASES.get("default", {}).get("ENGINE"),
            "celery_app": None,
            "overlay": bool(getattr(settings, "WEBSTACK_OVERLAY", False)),
        }
    except (Exception, SystemExit) as exc:  # pylint: disable=broad-except
        raise ProbeError(f"{settings_var}: the settings do not load (DJANGO_SETTINGS_MODULE={effective}): {describe(exc)}") from None

    wsgi_var, wsgi_spec = args.wsgi
    wsgi_module, _sep, attr = wsgi_spec.partition(":")
    attr = attr or "application"
    if not callable(getattr(load(wsgi_var, wsgi_module), attr, None)):
        raise ProbeError(f"{wsgi_var}: {wsgi_module} has no callable '{attr}'")
    if args.asgi:
        asgi_var, asgi_spec = args.asgi
        asgi_module, _sep, asgi_attr = asgi_spec.partition(":")
        asgi_attr = asgi_attr or "application"
        if not callable(getattr(load(asgi_var, asgi_module), asgi_attr, None)):
            raise ProbeError(f"{asgi_var}: {asgi_module} has no callable '{asgi_attr}'")

    # What the app's processes and timers may run: its management commands, its venv's executables.
    from django.core.management import get_commands  # pylint: disable=import-outside-toplevel
    report["commands"] = sorted(get_commands())
    venv_bin = os.path.join(sys.prefix, "bin")
    report["executables"] = sorted(name for name in os.listdir(venv_bin)
                                   if os.access(os.path.join(venv_bin, name), os.X_OK)) if os.path.isdir(venv_bin) else []
    if args.celery:
        report["celery_app"] = find_celery_app(*args.celery)[0]
    if args.check_deploy:
        report["check"] = check_deploy(args.check_fail_level)
    return report


# What refuses a release at each django_app_check_fail_level: errors always; at "security" the
# warnings of Django's security checks too (what a deployment must not go live with); at
# "warning" every warning (`check --deploy --fail-level WARNING`).
FAIL_LEVELS = ("error", "security", "warning")


def refuses(message, fail_level):
    """Whether a system check message refuses the release at ``fail_level``."""
    from django.core import checks  # pylint: disable=import-outside-toplevel

    if message.level >= checks.ERROR:
        return True
    if message.level < checks.WARNING:
        return False
    return fail_level == "warning" or (fail_level == "security" and str(message.id or "").startswith("security."))


def check_deploy(fail_level="security"):
    """`manage.py check --deploy`, judged at ``fail_level``: {"passed": bool, "refused": [...],
    "warnings": [...], "output": text}; each message on one line as `manage.py check` prints it
    ("<object>: (<id>) <text> HINT: <hint>"), secrets masked."""
    from django.core import checks  # pylint: disable=import-outside-toplevel

    messages = [m for m in checks.run_checks(include_deployment_checks=True) if not m.is_silenced()]

    def line(message):
        # As `manage.py check` prints it ("notes.Note: (models.W042) ... HINT: ..."), on one line.
        text = " ".join(str(message).split())
        return mask(text[3:] if text.startswith("?: ") else text)

    refused = [line(m) for m in messages if refuses(m, fail_level)]
    warnings = [line(m) for m in messages if not refuses(m, fail_level) and m.level >= checks.WARNING]
    return {"passed": not refused, "refused": refused, "warnings": warnings,
            "output": "\n".join(refused + warnings)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--settings", required=True, type=target("settings"), metavar="VARIABLE=MODULE")
    parser.add_argument("--wsgi", required=True, type=target("wsgi"), metavar="VARIABLE=MODULE[:CALLABLE]")
    parser.add_argument("--asgi", type=target("asgi"), metavar="VARIABLE=MODULE[:CALLABLE]")
    parser.add_argument("--celery", type=target("celery"), metavar="VARIABLE=MODULE[:ATTRIBUTE]")
    parser.add_argument("--check-deploy", action="store_true", help="also run check --deploy")
    parser.add_argument("--check-fail-level", choices=FAIL_LEVELS, default="security",
                        help="what refuses the release: errors, security warnings too (default), every warning")
    args = parser.parse_args(argv)

    sys.path.insert(0, os.getcwd())
    stdout, stderr = sys.stdout, sys.stderr
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            report = probe(args)
    except ProbeError as exc:
        print(exc, file=stderr)
        return 1
    print(json.dumps(report, sort_keys=True), file=stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
