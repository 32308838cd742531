"""ml/ is a tree: the core imports without Django, and the CLIs are leaves nothing imports."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CLI_MODULES = {"ml.train.__main__", "ml.evaluate.__main__", "ml.registry", "ml.tune"}


def test_the_ml_core_imports_without_django() -> None:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env["PYTHONPATH"] = str(ROOT)
    code = (
        "import ml.train, ml.evaluate, ml.recommender, ml.artifacts, ml.model, ml.types, "
        "ml.deployment, ml.data; import sys; assert 'django' not in sys.modules"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_nothing_in_the_product_imports_a_cli() -> None:
    offenders = []
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT)
        if rel.parts[0] in {".venv", "tests", "bench", "var"} or "node_modules" in rel.parts:
            continue
        found = _imports(path) & CLI_MODULES
        if found:
            offenders.append(f"{rel}: {sorted(found)}")
    assert offenders == []
