# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read a Django project's entry points from its source files, without running any of them.

``discover`` finds the settings module (the ``DJANGO_SETTINGS_MODULE`` default of
``manage.py``), the WSGI application (``WSGI_APPLICATION`` of the settings) and a ``celery.py``
beside the settings. ``check_modules`` says which of the given module paths (``pkg.mod`` or
``pkg.mod:attr``) name no file of the project, or an attribute the module does not define.

The files come from any object with ``has(path)`` and ``read(path)`` (bytes, or ``Unreadable``),
paths relative to the project root with ``/``: the members of a release archive. Sources are
parsed with ``ast``; nothing is imported or executed.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ast
import keyword

SETTINGS_VARIABLE = "DJANGO_SETTINGS_MODULE"
WSGI_VARIABLE = "WSGI_APPLICATION"
ASGI_VARIABLE = "ASGI_APPLICATION"
# How many ``from x import *`` of settings modules are followed to find WSGI_APPLICATION.
STAR_IMPORT_DEPTH = 5


class Unreadable(Exception):
    """A source file that cannot be read or parsed; the message names it and says why."""


def _identifier(text):
    return text.isidentifier() and not keyword.iskeyword(text)


def is_dotted(text):
    """True for ``a``, ``a.b.c``: names Python can import or look up."""
    return bool(text) and all(_identifier(part) for part in text.split("."))


def module_files(module):
    """The two files that can hold a module: ``a/b.py`` and ``a/b/__init__.py``."""
    base = module.replace(".", "/")
    return [base + ".py", base + "/__init__.py"]


def find_module(files, module):
    """The file holding the module, or None. Parent packages need no ``__init__.py``."""
    for path in module_files(module):
        if files.has(path):
            return path
    return None


def parse(files, path):
    """The ``ast.Module`` of a source file; raises Unreadable."""
    source = files.read(path)
    try:
        return ast.parse(source, filename=path)
    except SyntaxError as exc:
        raise Unreadable("%s is not valid Python: %s (line %s)" % (path, exc.msg, exc.lineno))
    except (ValueError, RecursionError) as exc:
        raise Unreadable("%s is not valid Python: %s" % (path, exc))


def _string(node):
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def settings_default(tree):
    """(value, problem) of the first ``*.setdefault("DJANGO_SETTINGS_MODULE", "<str>")``."""
    calls = [node for node in ast.walk(tree)
             if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
             and node.func.attr == "setdefault" and len(node.args) == 2
             and _string(node.args[0]) == SETTINGS_VARIABLE]
    if not calls:
        return None, "manage.py sets no %s default" % SETTINGS_VARIABLE
    call = min(calls, key=lambda node: (node.lineno, node.col_offset))
    value = _string(call.args[1])
    if value is None:
        return None, "manage.py sets the %s default from an expression, not a string (line %d)" % (
            SETTINGS_VARIABLE, call.lineno)
    if not is_dotted(value):
        return None, "manage.py sets %s to %r, not a module path" % (SETTINGS_VARIABLE, value)
    return value, None


def _package_of(module, path):
    return module if path.endswith("/__init__.py") else module.rpartition(".")[0]


def _star_source(module, path, statement):
    """The module a ``from ... import *`` statement of ``module`` (in file ``path``) reads."""
    if not statement.level:
        return statement.module
    parts = _package_of(module, path).split(".")
    if statement.level - 1 >= len(parts) or not parts[0]:
        return None
    base = ".".join(parts[:len(parts) - (statement.level - 1)])
    return base + "." + statement.module if statement.module else base


def wsgi_assignment(files, module, path, depth=0, seen=None, variable=WSGI_VARIABLE):
    """(value, problem) of the last module-level ``WSGI_APPLICATION = "<str>"`` of a settings file
    (or of ``variable``: ASGI_APPLICATION).

    ``from x import *`` of a module of the project counts as the assignments it holds, in order,
    followed at most STAR_IMPORT_DEPTH deep.
    """
    seen = set() if seen is None else seen
    seen.add(path)
    tree = parse(files, path)
    value, problem = None, None
    for statement in tree.body:
        if isinstance(statement, ast.Assign):
            targets = statement.targets
        elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
            targets = [statement.target]
        elif isinstance(statement, ast.ImportFrom) and any(alias.name == "*" for alias in statement.names):
            source = _star_source(module, path, statement)
            source_path = find_module(files, source) if source and is_dotted(source) else None
            if source_path is None or source_path in seen or depth >= STAR_IMPORT_DEPTH:
                continue
            try:
                found, why = wsgi_assignment(files, source, source_path, depth + 1, seen, variable)
            except Unreadable:
                continue
            if found is not None or why is not None:
                value, problem = found, why
            continue
        else:
            continue
        if any(isinstance(target, ast.Name) and target.id == variable for target in targets):
            value = _string(statement.value)
            problem = None if value is not None else "%s sets %s from an expression, not a string (line %d)" % (
                path, variable, statement.lineno)
    return value, problem


def wsgi_entry(value, path, variable=WSGI_VARIABLE):
    """(``pkg.wsgi:application``, problem) of a WSGI_APPLICATION (or ``variable``) value found in ``path``."""
    module, _dot, attribute = value.rpartition(".")
    if not (is_dotted(module) and _identifier(attribute)):
        return None, "%s sets %s to %r, not a dotted path to an object" % (path, variable, value)
    return "%s:%s" % (module, attribute), None


def asgi_entry(files, settings, settings_path, wsgi_module):
    """(``pkg.asgi:application``, problem): the settings' ASGI_APPLICATION (Channels' setting), else
    the ``asgi.py`` beside the WSGI module that ``startproject`` writes (None when neither)."""
    try:
        value, problem = wsgi_assignment(files, settings, settings_path, variable=ASGI_VARIABLE)
    except Unreadable as exc:
        return None, str(exc)
    if value is not None:
        return wsgi_entry(value, settings_path, ASGI_VARIABLE)
    if problem:
        return None, problem
    package = (wsgi_module or "").partition(":")[0].rpartition(".")[0]
    if package and files.has(package.replace(".", "/") + "/asgi.py"):
        return package + ".asgi:application", None
    return None, "%s sets no %s and there is no asgi.py beside the WSGI module" % (settings_path, ASGI_VARIABLE)


def celery_candidates(settings):
    """``celery`` modules beside the settings, nearest first: for ``a.b.c``, ``a.b.celery`` then ``a.celery``."""
    parts = settings.split(".")
    return [".".join(parts[:depth] + ["celery"]) for depth in range(len(parts) - 1, 0, -1)]


def discover(files):
    """The project's entry points: settings_module, wsgi_module, asgi_module, celery_module and notes.

    Each entry point is None when it could not be found; the notes say what and why (but for
    the ASGI application, which a project need not have: asgi_note says why it is None).
    """
    project = dict(settings_module=None, wsgi_module=None, asgi_module=None, asgi_note=None, celery_module=None,
                   notes=[])
    notes = project["notes"]
    if not files.has("manage.py"):
        notes.append("no manage.py at the root of the release archive")
        return project
    try:
        settings, problem = settings_default(parse(files, "manage.py"))
    except Unreadable as exc:
        settings, problem = None, str(exc)
    if settings is None:
        notes.append(problem)
        notes.append("no settings module: the WSGI application and the Celery app were not looked for")
        return project
    project["settings_module"] = settings

    settings_path = find_module(files, settings)
    if settings_path is None:
        notes.append("no settings module %s in the release archive (looked for %s)"
                     % (settings, " and ".join(module_files(settings))))
    else:
        try:
            value, problem = wsgi_assignment(files, settings, settings_path)
        except Unreadable as exc:
            value, problem = None, str(exc)
        if value is not None:
            project["wsgi_module"], problem = wsgi_entry(value, settings_path)
        elif problem is None:
            problem = "%s sets no %s" % (settings_path, WSGI_VARIABLE)
        if problem:
            notes.append(problem)
        project["asgi_module"], project["asgi_note"] = asgi_entry(files, settings, settings_path,
                                                                  project["wsgi_module"])

    candidates = [module.replace(".", "/") + ".py" for module in celery_candidates(settings)]
    found = [path for path in candidates if files.has(path)]
    if found:
        project["celery_module"] = found[0][:-len(".py")].replace("/", ".")
    elif candidates:
        notes.append("no celery.py beside %s (looked for %s)" % (settings, " and ".join(candidates)))
    else:
        notes.append("%s is a top-level module: no package holds a celery.py beside it" % settings)
    return project


def _bind_target(target, names):
    if isinstance(target, ast.Name):
        names.add(target.id)
    elif isinstance(target, (ast.Tuple, ast.List)):
        for element in target.elts:
            _bind_target(element, names)
    elif isinstance(target, ast.Starred):
        _bind_target(target.value, names)


def module_names(body, names=None):
    """(names, star): the names a module body binds at module level, and whether it star-imports.

    Definitions inside ``if``, ``try``, ``with``, ``for``, ``while`` and ``match`` blocks count;
    those inside functions and classes do not.
    """
    names = set() if names is None else names
    star = False
    for statement in body:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(statement.name)
            continue
        if isinstance(statement, ast.Assign):
            for target in statement.targets:
                _bind_target(target, names)
        elif isinstance(statement, (ast.AnnAssign, ast.AugAssign)):
            if getattr(statement, "value", None) is not None:
                _bind_target(statement.target, names)
        elif isinstance(statement, (ast.For, ast.AsyncFor)):
            _bind_target(statement.target, names)
        elif isinstance(statement, (ast.With, ast.AsyncWith)):
            for item in statement.items:
                if item.optional_vars is not None:
                    _bind_target(item.optional_vars, names)
        elif isinstance(statement, ast.Import):
            for alias in statement.names:
                names.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(statement, ast.ImportFrom):
            for alias in statement.names:
                if alias.name == "*":
                    star = True
                else:
                    names.add(alias.asname or alias.name)
        blocks = [getattr(statement, field, None) or [] for field in ("body", "orelse", "finalbody")]
        for handler in getattr(statement, "handlers", None) or []:
            if handler.name:
                names.add(handler.name)
            blocks.append(handler.body)
        for case in getattr(statement, "cases", None) or []:
            blocks.append(case.body)
        for block in blocks:
            star = module_names(block, names)[1] or star
    return names, star


def check_modules(files, modules):
    """One line per variable whose module path (``pkg.mod`` or ``pkg.mod:attr``) the files lack.

    Empty values are skipped. An attribute is looked for only in a module that parses and has
    no ``from x import *``; a module-level ``__getattr__`` may provide any name.
    """
    errors = []
    for variable, value in modules.items():
        if value is None or value == "":
            continue
        if not isinstance(value, str):
            errors.append("%s: %r is not a module path (a string like pkg.module or pkg.module:attribute)"
                          % (variable, value))
            continue
        module, colon, attribute = value.partition(":")
        if not is_dotted(module) or (colon and not is_dotted(attribute)):
            errors.append("%s: %r is not a module path (pkg.module or pkg.module:attribute)" % (variable, value))
            continue
        path = find_module(files, module)
        if path is None:
            errors.append("%s: no module %s in the release archive (looked for %s)"
                          % (variable, module, " and ".join(module_files(module))))
            continue
        if not attribute:
            continue
        try:
            names, star = module_names(parse(files, path).body)
        except Unreadable:
            continue
        name = attribute.split(".")[0]
        if not star and name not in names and "__getattr__" not in names:
            errors.append("%s: %s defines no '%s'" % (variable, path, name))
    return errors
