"""Every plugin's documentation renders with ansible-doc."""

import os
import re
import subprocess
from pathlib import Path

import pytest

from conftest import BIN, ROOT, ansible_env

pytestmark = pytest.mark.integration

PLUGINS = [("filter", p.stem) for p in sorted(Path(ROOT, "plugins", "filter").glob("[a-z]*.py"))]
PLUGINS += [("module", p.stem) for p in sorted(Path(ROOT, "plugins", "modules").glob("[a-z]*.py"))]


@pytest.fixture(scope="module")
def rendered():
    """Each plugin's page, from one ansible-doc run per kind: kind -> (name -> page, stderr)."""
    pages = {}
    for kind in sorted({kind for kind, _name in PLUGINS}):
        names = [f"webstack.django.{name}" for k, name in PLUGINS if k == kind]
        result = subprocess.run([os.path.join(BIN, "ansible-doc"), "-t", kind, *names], cwd=ROOT,
                                env=ansible_env(), capture_output=True, text=True, timeout=300, check=False)
        assert result.returncode == 0, result.stderr
        # Each page begins with "> FILTER webstack.django.<name> (<path>)".
        parts = re.split(rf"^> {kind.upper()} (webstack\.django\.\w+) ", result.stdout, flags=re.M)
        pages[kind] = (dict(zip(parts[1::2], parts[2::2])), result.stderr)
    return pages


@pytest.mark.parametrize("kind, name", PLUGINS, ids=[f"{k}:{n}" for k, n in PLUGINS])
def test_ansible_doc_renders(rendered, kind, name):
    pages, stderr = rendered[kind]
    assert f"webstack.django.{name}" in pages, sorted(pages)
    assert "EXAMPLES" in pages[f"webstack.django.{name}"]
    assert "[WARNING]" not in stderr and "[ERROR]" not in stderr, stderr
