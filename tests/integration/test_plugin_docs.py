"""Every plugin's documentation renders with ansible-doc."""

import os
import subprocess
from pathlib import Path

import pytest

from conftest import BIN, ROOT, ansible_env

pytestmark = pytest.mark.integration

PLUGINS = [("filter", p.stem) for p in sorted(Path(ROOT, "plugins", "filter").glob("[a-z]*.py"))]
PLUGINS += [("module", p.stem) for p in sorted(Path(ROOT, "plugins", "modules").glob("[a-z]*.py"))]


@pytest.mark.parametrize("kind, name", PLUGINS, ids=[f"{k}:{n}" for k, n in PLUGINS])
def test_ansible_doc_renders(kind, name):
    result = subprocess.run([os.path.join(BIN, "ansible-doc"), "-t", kind, f"webstack.django.{name}"],
                            cwd=ROOT, env=ansible_env(), capture_output=True, text=True, timeout=120,
                            check=False)
    assert result.returncode == 0, result.stderr
    assert f"webstack.django.{name}" in result.stdout
    assert "EXAMPLES" in result.stdout
    assert "[WARNING]" not in result.stderr and "[ERROR]" not in result.stderr, result.stderr
