"""Unit tests for release_archive's discover and modules options: the project's entry points and
module paths, read from the archive's sources without running them."""

import io
import json
import os
import tarfile

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.webstack.django.plugins.module_utils.archives import (
    READ_LIMIT, ProjectError, inspect_release, unpack)
from ansible_collections.webstack.django.plugins.modules import release_archive

MANAGE = b'''#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""
import os
import sys


def main():
    """Run administrative tasks."""
    os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'mysite.settings')
    try:
        from django.core.management import execute_from_command_line
    except ImportError as exc:
        raise ImportError("Couldn't import Django.") from exc
    execute_from_command_line(sys.argv)


if __name__ == '__main__':
    main()
'''

SETTINGS = b'''from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
ROOT_URLCONF = "mysite.urls"
WSGI_APPLICATION = "mysite.wsgi.application"
'''

WSGI = b'''import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")

application = get_wsgi_application()
'''

CELERY = b'''import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")
app = Celery("mysite")
'''

# What django-admin startproject makes, plus a celery.py and the lock file.
STARTPROJECT = {
    "manage.py": MANAGE,
    "requirements.txt": b"Django==5.1\n",
    "mysite/__init__.py": b"",
    "mysite/settings.py": SETTINGS,
    "mysite/urls.py": b"urlpatterns = []\n",
    "mysite/wsgi.py": WSGI,
    "mysite/celery.py": CELERY,
}


def make_archive(path, files):
    with tarfile.open(path, "w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            archive.addfile(info, io.BytesIO(data))
    return str(path)


def project_of(tmp_path, files, **kwargs):
    members, errors, project = inspect_release(make_archive(tmp_path / "r.tar.gz", files), ["requirements.txt"],
                                               discover=True, **kwargs)
    assert errors == [] and len(members) == len(files)
    return project


def modules_errors(tmp_path, files, modules):
    with pytest.raises(ProjectError) as raised:
        inspect_release(make_archive(tmp_path / "r.tar.gz", files), modules=modules)
    return raised.value.errors


def test_startproject_entry_points_are_discovered(tmp_path):
    assert project_of(tmp_path, STARTPROJECT) == {
        "settings_module": "mysite.settings",
        "wsgi_module": "mysite.wsgi:application",
        "asgi_module": None,
        "asgi_note": "mysite/settings.py sets no ASGI_APPLICATION and there is no asgi.py beside the WSGI module",
        "celery_module": "mysite.celery",
        "notes": [],
    }


def test_the_asgi_py_startproject_writes_is_the_asgi_application(tmp_path):
    files = dict(STARTPROJECT, **{"mysite/asgi.py": b"application = None\n"})
    project = project_of(tmp_path, files)
    assert (project["asgi_module"], project["asgi_note"]) == ("mysite.asgi:application", None)


def test_asgi_application_in_the_settings_wins_and_star_imports_are_followed(tmp_path):
    files = dict(STARTPROJECT, **{"mysite/asgi.py": b"application = None\n"})
    files["manage.py"] = MANAGE.replace(b"'mysite.settings'", b"'mysite.prod'")
    files["mysite/prod.py"] = b"from .settings import *  # noqa\n"
    files["mysite/settings.py"] = SETTINGS + b"ASGI_APPLICATION = 'mysite.routing.app'\n"
    assert project_of(tmp_path, files)["asgi_module"] == "mysite.routing:app"


def test_an_asgi_application_that_is_no_dotted_path_is_null_with_why(tmp_path):
    files = dict(STARTPROJECT)
    files["mysite/settings.py"] = SETTINGS + b"ASGI_APPLICATION = 'application'\n"
    project = project_of(tmp_path, files)
    assert project["asgi_module"] is None
    assert "sets ASGI_APPLICATION to 'application', not a dotted path" in project["asgi_note"]
    assert project["notes"] == []


def test_double_quotes_spaces_and_a_leading_dot_slash_are_read(tmp_path):
    files = {"./" + name: data for name, data in STARTPROJECT.items()}
    files["./manage.py"] = b'import os\nos.environ.setdefault(\n    "DJANGO_SETTINGS_MODULE" ,  "mysite.settings"  )\n'
    assert project_of(tmp_path, files)["settings_module"] == "mysite.settings"


def test_settings_package_module_and_celery_beside_it(tmp_path):
    files = dict(STARTPROJECT)
    del files["mysite/settings.py"], files["mysite/celery.py"]
    files["manage.py"] = MANAGE.replace(b"'mysite.settings'", b"'mysite.settings.production'")
    files["mysite/settings/__init__.py"] = b""
    files["mysite/settings/base.py"] = SETTINGS
    files["mysite/settings/production.py"] = b"from .base import *  # noqa\nDEBUG = False\n"
    files["mysite/celery.py"] = CELERY
    project = project_of(tmp_path, files)
    assert project["settings_module"] == "mysite.settings.production"
    assert project["wsgi_module"] == "mysite.wsgi:application"
    assert project["celery_module"] == "mysite.celery"
    files["mysite/settings/celery.py"] = CELERY
    assert project_of(tmp_path, files)["celery_module"] == "mysite.settings.celery"


def test_settings_in_a_package_init(tmp_path):
    files = dict(STARTPROJECT)
    files["mysite/settings/__init__.py"] = files.pop("mysite/settings.py").replace(b"mysite.wsgi", b"mysite.asgi_wsgi")
    assert project_of(tmp_path, files)["wsgi_module"] == "mysite.asgi_wsgi:application"


def test_a_later_assignment_wins(tmp_path):
    files = dict(STARTPROJECT)
    files["mysite/settings.py"] = SETTINGS + b"WSGI_APPLICATION = 'mysite.wsgi.other'\n"
    assert project_of(tmp_path, files)["wsgi_module"] == "mysite.wsgi:other"


def test_no_celery_py_is_null_with_a_note(tmp_path):
    files = dict(STARTPROJECT)
    del files["mysite/celery.py"]
    project = project_of(tmp_path, files)
    assert project["celery_module"] is None and project["wsgi_module"] == "mysite.wsgi:application"
    assert project["notes"] == ["no celery.py beside mysite.settings (looked for mysite/celery.py)"]


def test_manage_py_without_setdefault_is_null_with_a_note(tmp_path):
    files = dict(STARTPROJECT)
    files["manage.py"] = b"import os\nos.environ['DJANGO_SETTINGS_MODULE'] = 'mysite.settings'\n"
    project = project_of(tmp_path, files)
    assert project["settings_module"] is None and project["wsgi_module"] is None and project["celery_module"] is None
    assert "manage.py sets no DJANGO_SETTINGS_MODULE default" in project["notes"]


@pytest.mark.parametrize("source, note", [
    (b"os.environ.setdefault('DJANGO_SETTINGS_MODULE', name)\n", "from an expression, not a string"),
    (b"os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'my site')\n", "not a module path"),
    (b"def main(:\n", "manage.py is not valid Python"),
])
def test_a_settings_default_that_cannot_be_read_is_null_with_a_note(tmp_path, source, note):
    files = dict(STARTPROJECT, **{"manage.py": source})
    project = project_of(tmp_path, files)
    assert project["settings_module"] is None
    assert any(note in line for line in project["notes"]), project["notes"]


def test_no_manage_py(tmp_path):
    files = dict(STARTPROJECT)
    del files["manage.py"]
    project = project_of(tmp_path, files)
    assert project["settings_module"] is None and project["notes"] == ["no manage.py at the root of the release archive"]


@pytest.mark.parametrize("settings, note", [
    (None, "no settings module mysite.settings in the release archive "
           "(looked for mysite/settings.py and mysite/settings/__init__.py)"),
    (b"DEBUG = True\n", "mysite/settings.py sets no WSGI_APPLICATION"),
    (b"WSGI_APPLICATION = get()\n", "mysite/settings.py sets WSGI_APPLICATION from an expression"),
    (b"WSGI_APPLICATION = 'application'\n", "not a dotted path to an object"),
    (b"WSGI_APPLICATION = (\n", "mysite/settings.py is not valid Python"),
])
def test_a_wsgi_application_that_cannot_be_read_is_null_with_a_note(tmp_path, settings, note):
    files = dict(STARTPROJECT)
    if settings is None:
        del files["mysite/settings.py"]
    else:
        files["mysite/settings.py"] = settings
    project = project_of(tmp_path, files)
    assert project["settings_module"] == "mysite.settings" and project["wsgi_module"] is None
    assert project["celery_module"] == "mysite.celery"
    assert any(note in line for line in project["notes"]), project["notes"]


def test_a_file_over_the_read_limit_is_not_read(tmp_path):
    files = dict(STARTPROJECT, **{"mysite/settings.py": SETTINGS + b"#" * READ_LIMIT + b"\n"})
    project = project_of(tmp_path, files)
    assert project["wsgi_module"] is None
    assert any("larger than" in line for line in project["notes"]), project["notes"]


def test_star_imports_of_each_other_end(tmp_path):
    files = dict(STARTPROJECT)
    files["mysite/settings.py"] = b"from mysite.other import *\n"
    files["mysite/other.py"] = b"from mysite.settings import *\n"
    project = project_of(tmp_path, files)
    assert project["wsgi_module"] is None and "mysite/settings.py sets no WSGI_APPLICATION" in project["notes"]


def test_nothing_is_read_without_discover_or_modules(tmp_path):
    _members, errors, project = inspect_release(make_archive(tmp_path / "r.tar.gz", STARTPROJECT))
    assert errors == [] and project is None


def test_existing_modules_and_attributes_pass(tmp_path):
    modules = {"django_app_settings_module": "mysite.settings", "django_app_wsgi_module": "mysite.wsgi:application",
               "django_app_celery_app": "mysite.celery:app", "django_app_urls": "mysite.urls:urlpatterns",
               "django_app_empty": "", "django_app_none": None}
    _members, errors, project = inspect_release(make_archive(tmp_path / "r.tar.gz", STARTPROJECT), modules=modules)
    assert errors == [] and project is None


def test_a_missing_module_is_named_with_its_variable(tmp_path):
    assert modules_errors(tmp_path, STARTPROJECT, {"django_app_settings_module": "mysite.setings"}) == [
        "django_app_settings_module: no module mysite.setings in the release archive "
        "(looked for mysite/setings.py and mysite/setings/__init__.py)"]


def test_a_missing_attribute_is_named_with_its_variable(tmp_path):
    files = dict(STARTPROJECT, **{"mysite/wsgi.py": b"import os\napp = object()\n"})
    errors = modules_errors(tmp_path, files, {"django_app_settings_module": "mysite.settings",
                                              "django_app_wsgi_module": "mysite.wsgi:application"})
    assert errors == ["django_app_wsgi_module: mysite/wsgi.py defines no 'application'"]


def test_every_missing_module_has_its_line(tmp_path):
    errors = modules_errors(tmp_path, STARTPROJECT, {"a": "nope", "b": "mysite.wsgi:app", "c": "not a module"})
    assert errors[0] == "a: no module nope in the release archive (looked for nope.py and nope/__init__.py)"
    assert errors[1] == "b: mysite/wsgi.py defines no 'app'"
    assert errors[2].startswith("c: 'not a module' is not a module path")


@pytest.mark.parametrize("source", [
    b"from mysite.base_wsgi import *\n",
    b"def __getattr__(name):\n    return name\n",
    b"application = (\n",
    b"try:\n    from whitenoise import WhiteNoise as application\nexcept ImportError:\n    pass\n",
    b"if True:\n    def application(environ, start_response):\n        pass\n",
    b"import os\nclass application:\n    pass\n",
    b"for application in range(1):\n    pass\n",
    b"with open('x') as (application, other):\n    pass\n",
    b"import application\n",
    b"application, other = 1, 2\n",
])
def test_definitions_star_imports_and_unparsable_modules_pass(tmp_path, source):
    files = dict(STARTPROJECT, **{"mysite/wsgi.py": source})
    _members, errors, _project = inspect_release(make_archive(tmp_path / "r.tar.gz", files),
                                                 modules={"django_app_wsgi_module": "mysite.wsgi:application"})
    assert errors == []


@pytest.mark.parametrize("source", [
    b"def make():\n    application = 1\n",
    b"class Holder:\n    application = 1\n",
    b"application: object\n",
    b"import application.sub as other\n",
])
def test_names_bound_elsewhere_do_not_count(tmp_path, source):
    files = dict(STARTPROJECT, **{"mysite/wsgi.py": source})
    assert modules_errors(tmp_path, files, {"v": "mysite.wsgi:application"}) == [
        "v: mysite/wsgi.py defines no 'application'"]


def test_a_namespace_package_parent_is_enough(tmp_path):
    files = {"requirements.txt": b"", "manage.py": MANAGE, "apps/shop/__init__.py": b"",
             "apps/shop/wsgi.py": WSGI, "apps/tasks.py": b"app = 1\n"}
    modules = {"wsgi": "apps.shop.wsgi:application", "package": "apps.shop", "tasks": "apps.tasks:app"}
    _members, errors, _project = inspect_release(make_archive(tmp_path / "r.tar.gz", files), modules=modules)
    assert errors == []
    assert modules_errors(tmp_path, files, {"pkg": "apps"}) == [
        "pkg: no module apps in the release archive (looked for apps.py and apps/__init__.py)"]


def test_modules_are_not_read_from_a_refused_archive(tmp_path):
    files = dict(STARTPROJECT)
    del files["requirements.txt"]
    _members, errors, project = inspect_release(make_archive(tmp_path / "r.tar.gz", files), ["requirements.txt"],
                                                discover=True, modules={"v": "nope"})
    assert errors == ["requirements.txt: missing (required)"] and project is None


def test_unpack_reads_the_project_first_and_a_missing_module_leaves_nothing(tmp_path):
    archive = make_archive(tmp_path / "r.tar.gz", STARTPROJECT)
    releases = tmp_path / "releases"
    releases.mkdir()
    with pytest.raises(ProjectError):
        unpack(archive, str(releases / "1"), modules={"v": "nope"})
    assert os.listdir(releases) == []
    _members, project = unpack(archive, str(releases / "1"), discover=True, modules={"v": "mysite.wsgi:application"})
    assert project["wsgi_module"] == "mysite.wsgi:application" and os.path.isfile(releases / "1" / "manage.py")


def run_module(capsys, **args):
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            release_archive.main()
    return json.loads(capsys.readouterr().out)


def test_module_returns_the_project(tmp_path, capsys):
    archive = make_archive(tmp_path / "r.tar.gz", STARTPROJECT)
    result = run_module(capsys, path=archive, required=["requirements.txt"], discover=True,
                        modules={"django_app_settings_module": "mysite.settings"})
    assert not result.get("failed") and result["project"]["wsgi_module"] == "mysite.wsgi:application"
    assert "project" not in run_module(capsys, path=archive)


def test_module_fails_with_one_line_per_missing_module(tmp_path, capsys):
    archive = make_archive(tmp_path / "r.tar.gz", STARTPROJECT)
    result = run_module(capsys, path=archive, modules={"django_app_settings_module": "mysite.settings",
                                                       "django_app_wsgi_module": "mysite.wsgi:app"})
    assert result["failed"]
    assert result["msg"] == "django_app_wsgi_module: mysite/wsgi.py defines no 'app'"
    assert result["errors"] == [result["msg"]]


def test_module_unpacks_with_discover(tmp_path, capsys):
    archive = make_archive(tmp_path / "r.tar.gz", STARTPROJECT)
    dest = str(tmp_path / "1")
    result = run_module(capsys, path=archive, dest=dest, state="unpacked", discover=True)
    assert result["changed"] and result["project"]["celery_module"] == "mysite.celery"
    failed = run_module(capsys, path=archive, dest=str(tmp_path / "2"), state="unpacked", modules={"v": "nope"})
    assert failed["failed"] and failed["msg"].startswith("v: no module nope") and not os.path.exists(tmp_path / "2")
