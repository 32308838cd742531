"""mypy (run by .ci/run) checks every app that import-linter knows: a new app cannot slip out."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_mypy_checks_every_app_of_the_dependency_contracts():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    apps = set(config["tool"]["importlinter"]["root_packages"])
    assert set(config["tool"]["mypy"]["files"]) == apps
    assert config["tool"]["django-stubs"]["django_settings_module"] == "mcbackend.settings.test"
