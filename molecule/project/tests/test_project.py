"""A plain `startproject` project deployed unmodified: examples/plain_project has a hard-coded
SECRET_KEY, DEBUG = True, ALLOWED_HOSTS = [], no STATIC_ROOT, SQLite in BASE_DIR and a Celery
app in mysite/celery.py configured from Django's settings; nothing in it names this collection.

The tests run in file order: release 1.0.0 (the converge, site.yml) is checked, a note, an
admin session and two uploads are written, then release 2.0.0 comes with site.yml over an
nginx site broken by hand (site.yml repairs it before the gate judges the release) and the data
must still be there; a release whose settings do not import and DEBUG turned on are refused
before anything switches (deploy.yml, README's next release). Then the variants prepare.yml
builds, as real projects come: a failing build step refuses 4.0.0-legacy with nothing left
behind; 4.0.0-legacy (models.W042, HTTPS and MEDIA_ROOT in its own settings) goes live with a
build step and its warning printed; a rollback, and a second one naming the release that changes
nothing; releases whose `/` redirects to a failing page
or to https:// are rolled back by the health gate; a lock that pins uWSGI is refused before
any change. The uploads are served after each.
"""

import json
import os
import re
import shlex
import time
import uuid

import pytest

from conftest import curl, header, playbook

ROOT = "/srv/mysite"
MANAGE = f"{ROOT}/bin/manage"
PLAYBOOKS = os.path.join(os.environ["MOLECULE_PROJECT_DIRECTORY"], "playbooks")
DEPLOY = os.path.join(PLAYBOOKS, "deploy.yml")
RELEASES = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "releases")
# The key the inventory gives (molecule.yml) and the one written in the project's settings.
SECRET_KEY = "molecule-only-project-secret-2b9d4f6a8c0e1f3a5b7d9e2c4a6f8b0d1e3c5a7f"
HOST = ("-H", "Host: localhost")
ADMIN = ("admin", "molecule-only-admin-pw-6c1e")


def manage_shell(host, code):
    """Run Python in the current release with the app's environment (bin/manage shell); return
    the last line it prints (the shell may announce what it imported first)."""
    return host.check_output(f"{MANAGE} shell -c {shlex.quote(code)}").splitlines()[-1]


def deploy(release, *extra, book=DEPLOY):
    archive = os.path.join(RELEASES, f"plain_project-{release}.tar.gz")
    return playbook(book, "-e", f"django_app_release_archive={archive}", *extra, timeout=1200)


def test_the_project_page_answers_through_nginx(host):
    status, headers, body = curl(host, "http://127.0.0.1/", *HOST)
    assert status == 200, body
    assert "<h1>Notes</h1>" in body
    assert header(headers, "Server").startswith("nginx")
    # Django sends its own security headers; nginx adds only the ones it did not: none twice,
    # and the app's value is the one sent (Django's Referrer-Policy, not nginx's).
    names = [line.split(":", 1)[0].strip().lower() for line in headers.splitlines() if ":" in line]
    for name in ("x-content-type-options", "x-frame-options", "referrer-policy", "permissions-policy"):
        assert names.count(name) == 1, (name, headers)
    assert header(headers, "Referrer-Policy") == "same-origin"
    assert header(headers, "Permissions-Policy") == "geolocation=(), microphone=(), camera=()"


def test_the_admin_css_is_served_by_nginx_from_the_release(host):
    status, headers, body = curl(host, "http://127.0.0.1/static/admin/css/base.css", *HOST)
    assert status == 200
    assert "Cache-Control" in headers or "Expires" in headers
    release = host.file(f"{ROOT}/current").linked_to
    assert host.file(f"{release}/staticfiles/admin/css/base.css").content_string.strip() == body.strip()


def test_debug_is_off_in_the_running_app(host):
    status, _ignored, body = curl(host, "http://127.0.0.1/no-such-page/", *HOST)
    assert status == 404
    # DEBUG on answers a technical 404 page that lists the URL patterns.
    assert "URLconf" not in body and "Page not found" not in body, body[:500]


def test_every_process_of_the_app_runs_with_the_overlay(host):
    for unit in ("uwsgi-mysite", "celery-mysite-worker", "celery-mysite-beat"):
        pid = host.check_output(f"systemctl show -p MainPID --value {unit}")
        environ = host.check_output(f"tr '\\0' '\\n' < /proc/{pid}/environ")
        assert "DJANGO_SETTINGS_MODULE=webstack_settings" in environ.splitlines(), unit
        assert "WEBSTACK_APP_SETTINGS=mysite.settings" in environ.splitlines(), unit


def test_the_database_is_outside_the_release(host):
    engine_and_name = manage_shell(
        host, "from django.db import connection as c; print(c.vendor, c.settings_dict['NAME'])")
    assert engine_and_name == f"sqlite {ROOT}/shared/state/db.sqlite3"
    release = host.file(f"{ROOT}/current").linked_to
    assert not host.file(f"{release}/db.sqlite3").exists


def test_beat_keeps_its_schedule_outside_the_release(host):
    assert host.service("celery-mysite-beat").is_running
    schedule = host.run(f"ls {ROOT}/shared/state/ | grep -c celerybeat-schedule")
    assert schedule.stdout.strip() not in ("", "0"), schedule
    release = host.file(f"{ROOT}/current").linked_to
    assert host.run(f"ls {release} | grep -c celerybeat-schedule").stdout.strip() == "0"


def test_a_task_round_trip_through_the_broker(host):
    text = f"task-{uuid.uuid4().hex[:12]}"
    manage_shell(host, f"from notes.tasks import add_note; add_note.delay({text!r})")
    for _attempt in range(60):
        count = manage_shell(host, f"from notes.models import Note; print(Note.objects.filter(text={text!r}).count())")
        if count == "1":
            break
        time.sleep(1)
    assert count == "1", "the worker did not run the task"


@pytest.fixture(scope="module")
def admin_session(host):
    """Log in to the admin through nginx with a superuser; return the session's stored data."""
    user, password = ADMIN
    host.run_expect([0], f"DJANGO_SUPERUSER_PASSWORD={shlex.quote(password)} {MANAGE} createsuperuser"
                         f" --noinput --username {user} --email {user}@example.org || true")
    jar = "/tmp/admin.cookies"
    curl(host, "http://127.0.0.1/admin/login/", *HOST, "-c", jar)
    token = host.check_output(f"awk '$6 == \"csrftoken\" {{print $7}}' {jar}")
    status, _ignored, body = curl(
        host, "http://127.0.0.1/admin/login/", *HOST, "-b", jar, "-c", jar,
        "--data-urlencode", f"username={user}", "--data-urlencode", f"password={password}",
        "--data-urlencode", f"csrfmiddlewaretoken={token}", "--data-urlencode", "next=/admin/")
    assert status == 302, body[:500]
    session = host.check_output(f"awk '$6 == \"sessionid\" {{print $7}}' {jar}")
    assert session
    return manage_shell(
        host, "from django.contrib.sessions.models import Session; "
              f"print(Session.objects.get(session_key={session!r}).session_data)")


def test_the_running_app_signs_with_the_inventory_key(host, admin_session):
    """The session the running app wrote verifies with the vault's key, not the project's own."""
    check = ("import sys; from django.core import signing; data, key = sys.argv[1], sys.argv[2]\n"
             "try:\n"
             "    signing.loads(data, key=key, salt='django.contrib.sessions.SessionStore', fallback_keys=[])\n"
             "    print('valid')\n"
             "except signing.BadSignature:\n"
             "    print('invalid')\n")
    python = f"{ROOT}/current/venv/bin/python"
    hard_coded = host.check_output(
        f"cd {ROOT}/current && {python} -c \"from mysite import settings; print(settings.SECRET_KEY)\"")
    assert hard_coded != SECRET_KEY
    for key, expected in ((SECRET_KEY, "valid"), (hard_coded, "invalid")):
        result = host.check_output(f"{python} -c {shlex.quote(check)} {shlex.quote(admin_session)} {shlex.quote(key)}")
        assert result == expected, key[:8]


UPLOADS = {"uploads/page.html": b"<script>alert(1)</script>", "uploads/run.py": b"import os\nos.system('id')\n",
           "uploads/note.txt": b"a note\n"}


def upload(host, name, data):
    """Store a file as the app's uploads are stored (default_storage, as the app user)."""
    code = (f"from django.core.files.base import ContentFile; from django.core.files.storage import default_storage; "
            f"print(default_storage.save({name!r}, ContentFile({data!r})))")
    return manage_shell(host, code)


def assert_uploads_served(host):
    """Every upload through nginx at /media/, as data: never run, never a page of the site."""
    for name, data in UPLOADS.items():
        status, headers, body = curl(host, f"http://127.0.0.1/media/{name}", *HOST)
        assert status == 200 and body.encode() == data, (name, status, body)
        assert header(headers, "X-Content-Type-Options") == "nosniff"
        expected = "text/plain" if name.endswith(".txt") else "application/octet-stream"
        assert header(headers, "Content-Type").split(";")[0] == expected, (name, headers)
        assert "sandbox" in header(headers, "Content-Security-Policy")
    status, _headers, _body = curl(host, "http://127.0.0.1/media/uploads/", *HOST)
    assert status in (403, 404)


def test_uploads_go_outside_the_release_and_are_served_as_data(host):
    for name, data in UPLOADS.items():
        assert upload(host, name, data) == name
    for name in UPLOADS:
        media_file = host.file(f"{ROOT}/shared/media/{name}")
        assert media_file.is_file and media_file.user == "mysite" and media_file.group == "www-data"
    assert manage_shell(host, "from django.conf import settings; print(settings.MEDIA_ROOT)") == f"{ROOT}/shared/media"
    assert_uploads_served(host)


def break_the_site(host):
    """The app's nginx site edited by hand to answer 418 to everything; returns its path."""
    site = "/etc/nginx/sites-available/mysite.conf"
    host.check_output(f"sed -i 's/^\\(\\s*server_name [^;]*\\);/\\1; return 418;/' {site} && nginx -t && systemctl reload nginx")
    # nginx's reload returns before the old workers have gone: ask until the new ones answer.
    status = host.check_output(
        "for i in $(seq 1 50); do code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Host: localhost' "
        "http://127.0.0.1/); [ \"$code\" = 418 ] && break; sleep 0.2; done; echo $code")
    assert status == "418"
    return site


def test_a_second_release_keeps_the_data(host, admin_session):
    """The second release comes with site.yml over a site broken by hand (it answers 418):
    site.yml rewrites nginx before the health gate judges the release, so the release goes live
    instead of being blamed and rolled back; the data of the first stays."""
    text = f"kept-{uuid.uuid4().hex[:12]}"
    manage_shell(host, f"from notes.models import Note; Note.objects.create(text={text!r})")
    site = break_the_site(host)
    rc, out = deploy("2.0.0", book=os.path.join(PLAYBOOKS, "site.yml"))
    assert rc == 0, out[-4000:]
    assert "failed its health check" not in out
    assert "return 418" not in host.file(site).content_string
    assert host.file(f"{ROOT}/current/RELEASE").content_string.splitlines()[0] == "2.0.0"
    assert manage_shell(host, f"from notes.models import Note; print(Note.objects.filter(text={text!r}).count())") == "1"
    assert manage_shell(host, "from django.contrib.auth.models import User; print(User.objects.filter(username='admin').count())") == "1"
    status, _ignored, body = curl(host, "http://127.0.0.1/", *HOST)
    assert status == 200 and "<h1>Notes</h1>" in body
    assert_uploads_served(host)


@pytest.mark.full
def test_a_release_whose_settings_do_not_import_is_refused_before_it_switches(host):
    history_before = host.file(f"{ROOT}/releases.json").content_string if host.file(f"{ROOT}/releases.json").exists else ""
    rc, out = deploy("3.0.0-noimport")
    text = " ".join(out.split())
    assert rc != 0
    assert "django_app_settings_module: cannot import mysite.settings" in text, text[-3000:]
    assert "nothing was switched" in text
    assert host.file(f"{ROOT}/current/RELEASE").content_string.splitlines()[0] == "2.0.0"
    if history_before:
        assert json.loads(host.file(f"{ROOT}/releases.json").content_string) == json.loads(history_before)
    status, _ignored, _body = curl(host, "http://127.0.0.1/", *HOST)
    assert status == 200


@pytest.mark.full
def test_debug_on_is_refused_and_the_running_app_keeps_it_off(host):
    # The project's own settings say DEBUG = True: without the overlay (DJANGO_DEBUG is the role's
    # own variable, which django_app_env may not set) the release runs with DEBUG on.
    # Twice: the second run finds the candidate environment already written, and must still check.
    for _attempt in range(2):
        rc, out = deploy("2.0.0", "-e", '{"django_app_settings_overlay": false}')
        text = " ".join(out.split())
        assert rc != 0
        assert "run with DEBUG on" in text and "django_app_debug: true allows it" in text, text[-3000:]
    status, _ignored, body = curl(host, "http://127.0.0.1/no-such-page/", *HOST)
    assert status == 404 and "URLconf" not in body


def releases(host):
    return sorted(host.check_output(f"ls -A {ROOT}/releases").split())


def live(host):
    return host.file(f"{ROOT}/current/RELEASE").content_string.splitlines()[0]


@pytest.mark.full
def test_a_failing_build_step_refuses_the_release_and_leaves_nothing_behind(host):
    before = releases(host)
    rc, out = deploy("4.0.0-legacy", "-e", '{"django_app_build_steps": [["manage.py", "check"], ["manage.py", "no_such_command"]]}')
    text = " ".join(out.split())
    assert rc != 0
    # The release's id is its archive's digest (the inventory names none).
    assert re.search(r"Build step 2 of release [0-9a-f]{12} \(manage.py no_such_command\) failed \(rc 1\): "
                     r"Unknown command: 'no_such_command'", text), text[-3000:]
    assert re.search(r"The refused release [0-9a-f]{12} was removed\.", text), text[-3000:]
    assert live(host) == "2.0.0" and releases(host) == before


def test_a_legacy_project_goes_live_with_its_warnings_printed_and_https_off(host):
    rc, out = deploy("4.0.0-legacy", "-e", '{"django_app_build_steps": [["manage.py", "check"], ["django-admin", "--version"]]}')
    assert rc == 0, out[-4000:]
    # Its model warning is printed, not refused.
    assert "notes.Note: (models.W042) Auto-created primary key used" in " ".join(out.split())
    assert live(host) == "4.0.0-legacy"
    # Its own SECURE_SSL_REDIRECT, secure cookies and HSTS are off here, where there is no TLS.
    status, headers, body = curl(host, "http://127.0.0.1/", *HOST)
    assert status == 200 and "<h1>Notes</h1>" in body
    assert header(headers, "Strict-Transport-Security") is None
    # Its MEDIA_ROOT (inside the project) gives way to the shared one: the uploads are still there.
    assert manage_shell(host, "from django.conf import settings; print(settings.MEDIA_ROOT, settings.MEDIA_URL)") == f"{ROOT}/shared/media /media/"
    assert_uploads_served(host)


def test_a_rollback_keeps_every_upload(host):
    rc, out = playbook(os.path.join(PLAYBOOKS, "rollback.yml"), timeout=900)
    assert rc == 0, out[-4000:]
    assert live(host) == "2.0.0"
    assert_uploads_served(host)
    # Naming the live release (its id: the archive's digest here) makes a second run a no-op:
    # no new history entry, nothing switched.
    history = host.file(f"{ROOT}/releases.json").content_string
    live_id = os.path.basename(host.file(f"{ROOT}/current").linked_to)
    rc, out = playbook(os.path.join(PLAYBOOKS, "rollback.yml"), "-e", f"webstack_rollback_release={live_id}", timeout=900)
    assert rc == 0, out[-3000:]
    assert host.file(f"{ROOT}/releases.json").content_string == history
    assert live(host) == "2.0.0"


@pytest.mark.full
@pytest.mark.parametrize("release, reason", [
    ("5.0.0-redirect500", "page / answered HTTP 500"),
    ("6.0.0-tohttps", "redirects to https://localhost/, and the site serves no https here"),
])
def test_a_home_page_that_redirects_to_a_broken_page_is_rolled_back(host, release, reason):
    rc, out = deploy(release, "-e", '{"django_app_healthcheck_retries": 2, "django_app_healthcheck_delay": 1}')
    text = " ".join(out.split())
    assert rc != 0
    assert "of mysite failed its health check" in text and reason in text, text[-3000:]
    assert "Rolled back to release " in text
    assert live(host) == "2.0.0"
    status, _headers, body = curl(host, "http://127.0.0.1/", *HOST)
    assert status == 200 and "<h1>Notes</h1>" in body


def test_a_lock_that_pins_uwsgi_is_refused_before_any_change(host):
    before = releases(host)
    listing = host.check_output(f"find {ROOT} -xdev -newer {ROOT}/current -printf '%p\\n' | sort")
    rc, out = deploy("7.0.0-uwsgi")
    text = " ".join(out.split())
    assert rc != 0
    assert "requirements.txt line" in text and "pins uwsgi: the deployment adds it to every release's venv itself" in text, text[-3000:]
    assert "TASK [webstack.django.django_app : Upload the release archive]" not in out
    assert releases(host) == before and live(host) == "2.0.0"
    assert host.check_output(f"find {ROOT} -xdev -newer {ROOT}/current -printf '%p\\n' | sort") == listing
