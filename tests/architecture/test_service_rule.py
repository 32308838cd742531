"""The service rule (docs/ARCHITECTURE.md): services and selectors never take an HttpRequest and
never raise DRF's or SimpleJWT's HTTP exceptions; they raise mcbackend.exceptions errors."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = ("accounts", "social", "movies", "realtime", "ml")
ALLOWED_SIMPLEJWT_ERRORS = {"TokenError"}  # caught (a bad token string), never raised


def _service_modules() -> list[Path]:
    found = []
    for app in APPS:
        for name in ("services", "selectors"):
            found += [p for p in [ROOT / app / f"{name}.py"] if p.exists()]
            found += sorted((ROOT / app / name).glob("**/*.py"))
    return found


def _violations(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    problems = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            module = node.module
            names = {alias.name for alias in node.names}
            if module == "django.http" or module.split(".")[0] == "rest_framework":
                problems.append(f"imports {module}")
            if module == "rest_framework_simplejwt.exceptions":
                problems += [f"imports {n}" for n in names - ALLOWED_SIMPLEJWT_ERRORS]
        elif isinstance(node, ast.Import):
            problems += [
                f"imports {a.name}"
                for a in node.names
                if a.name == "django.http" or a.name.split(".")[0] == "rest_framework"
            ]
    return [f"{path.relative_to(ROOT)}: {p}" for p in problems]


def test_services_and_selectors_know_nothing_of_http() -> None:
    modules = _service_modules()
    assert len(modules) >= 8
    problems = [p for module in modules for p in _violations(module)]
    assert problems == []
