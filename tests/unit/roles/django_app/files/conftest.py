"""The `project` fixture: a throwaway Django project (tests/support/django_projects.py)."""
import os

import pytest

from django_projects import DEMO_PYTHON, make_project


@pytest.fixture
def project(tmp_path):
    if not os.path.exists(DEMO_PYTHON):
        pytest.skip(f"{DEMO_PYTHON} is missing: run scripts/setup.sh venv")
    return make_project(tmp_path)
