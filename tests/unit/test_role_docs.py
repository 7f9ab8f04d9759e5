"""Each role documents every input the same way in defaults, argument specs and README."""

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ROLES = sorted(p.name for p in (ROOT / "roles").iterdir() if (p / "defaults" / "main.yml").exists())


def load(path):
    return yaml.safe_load(path.read_text()) or {}


def all_options(role):
    """Options of every entry point (main, tasks_from entry points) of a role."""
    specs = load(ROOT / "roles" / role / "meta" / "argument_specs.yml")["argument_specs"]
    options = {}
    for entry in specs.values():
        options.update(entry.get("options", {}))
    return options


@pytest.mark.parametrize("role", ROLES)
def test_every_default_is_in_the_argument_spec(role):
    defaults = load(ROOT / "roles" / role / "defaults" / "main.yml")
    assert sorted(set(defaults) - set(all_options(role))) == []


@pytest.mark.parametrize("role", ROLES)
def test_every_input_is_role_prefixed_and_described(role):
    spec = all_options(role)
    assert [name for name in spec if not name.startswith(f"{role}_")] == []
    assert [name for name, opt in spec.items() if not opt.get("description")] == []


@pytest.mark.parametrize("role", ROLES)
def test_spec_defaults_match_the_defaults_file(role):
    defaults = load(ROOT / "roles" / role / "defaults" / "main.yml")
    spec = all_options(role)
    mismatched = [name for name, opt in spec.items()
                  if "default" in opt and name in defaults and opt["default"] != defaults[name]]
    assert mismatched == []


@pytest.mark.parametrize("role", ROLES)
def test_readme_names_every_input(role):
    readme = (ROOT / "roles" / role / "README.md").read_text()
    spec = all_options(role)
    assert [name for name in spec if f"`{name}`" not in readme] == []
