"""Every role documents exactly the variables it uses.

meta/argument_specs.yml, defaults/main.yml and the role README must agree:
same option names, same defaults, every option described, every public
variable prefixed with the role name (internal ones live in vars/ as __role_*).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

ROLES_DIR = Path(__file__).resolve().parents[2] / "roles"
ROLES = sorted(p.name for p in ROLES_DIR.iterdir() if p.is_dir())


def _load(path: Path) -> dict:
    if not path.exists():
        return {}
    return yaml.safe_load(path.read_text()) or {}


def _spec_options(role: str) -> dict:
    """Options of every entry point (main, and e.g. hook) of the role."""
    spec = _load(ROLES_DIR / role / "meta" / "argument_specs.yml")
    options: dict = {}
    for entry_point in spec["argument_specs"].values():
        options.update(entry_point.get("options") or {})
    return options


def test_there_are_roles() -> None:
    assert "timesync" in ROLES
    assert "preflight" in ROLES


@pytest.mark.parametrize("role", ROLES)
def test_role_has_argument_specs_and_readme(role: str) -> None:
    assert (ROLES_DIR / role / "meta" / "argument_specs.yml").is_file()
    assert (ROLES_DIR / role / "README.md").is_file()


@pytest.mark.parametrize("role", ROLES)
def test_defaults_match_argument_specs(role: str) -> None:
    defaults = _load(ROLES_DIR / role / "defaults" / "main.yml")
    options = _spec_options(role)
    undocumented = sorted(set(defaults) - set(options))
    assert not undocumented, f"{role}: defaults not in argument_specs: {undocumented}"
    for name, option in options.items():
        if "default" in option:
            assert name in defaults, f"{role}: {name} has a documented default but none in defaults/main.yml"
            assert defaults[name] == option["default"], f"{role}: default of {name} differs from argument_specs"
        else:
            assert name not in defaults, f"{role}: {name} is in defaults/main.yml but argument_specs has no default"


@pytest.mark.parametrize("role", ROLES)
def test_public_variables_are_prefixed(role: str) -> None:
    for name in _spec_options(role):
        assert name.startswith(f"{role}_"), f"{role}: option {name} lacks the role prefix"
    for name in _load(ROLES_DIR / role / "vars" / "main.yml"):
        assert name.startswith(f"__{role}_"), f"{role}: internal variable {name} must be __{role}_*"


@pytest.mark.parametrize("role", ROLES)
def test_every_option_is_described(role: str) -> None:
    readme = (ROLES_DIR / role / "README.md").read_text()
    for name, option in _spec_options(role).items():
        assert option.get("description"), f"{role}: option {name} has no description"
        assert f"`{name}`" in readme, f"{role}: README does not document {name}"
