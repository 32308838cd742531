"""Which artifact is deployed, how it got there, and the policy that lets a candidate replace it.

- `<model_dir>/CURRENT` holds the deployed version (a folder name there). It is replaced
  atomically (write a temporary file, then `os.replace`), so a worker reads either the old
  version or the new one, never half a name.
- `<model_dir>/HISTORY` is an append-only JSON-lines log of deployments and roll-backs; replaying
  it gives the stack of versions that `rollback` walks back through.
- The deploy gate: a fixed, hash-chosen holdout (`Holdout`) that no deployed model trains on,
  and `GatePolicy.reasons()`, which says why a candidate must not replace the deployed model.

No Django imports; torch is never imported here (tensors are only inspected through methods).
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

    from ml.evaluate import Scorer

POINTER = "CURRENT"
HISTORY = "HISTORY"
# Versions are folder names written by ml.artifacts.save_artifact (e.g. 20261124T061500Z-1a2b3c4d).
_VERSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
HOLDOUT_RULE = "hash(user,movie,seed)-v1"
GATE_METRICS = ("rmse", "ndcg@10")


# ---------------------------------------------------------------------------------- the pointer


def deployed_version(model_dir: str | Path) -> str | None:
    """The version the pointer names, if its folder exists; None when nothing is deployed."""
    try:
        version = (Path(model_dir) / POINTER).read_text().strip()
    except (FileNotFoundError, NotADirectoryError):
        return None
    if not _VERSION.match(version) or not (Path(model_dir) / version).is_dir():
        return None
    return version


def deploy(model_dir: str | Path, version: str, *, action: str = "deploy", note: str = "") -> None:
    """Point CURRENT at `<model_dir>/<version>` (which must exist), atomically, and log it."""
    root = Path(model_dir)
    if not _VERSION.match(version) or not (root / version).is_dir():
        raise FileNotFoundError(f"no artifact folder {root / version}")
    fd, tmp = tempfile.mkstemp(dir=root, prefix=f".{POINTER}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(version + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, root / POINTER)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    entry = {
        "at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "action": action,
        "version": version,
    }
    if note:
        entry["note"] = note
    with (root / HISTORY).open("a") as log:
        log.write(json.dumps(entry) + "\n")


def deployment_stack(model_dir: str | Path) -> list[str]:
    """Versions deployed one over the other, oldest first; the last is the deployed one.

    A deploy pushes, a roll-back pops. Without a HISTORY (older model folders) the stack is
    just the deployed version.
    """
    root = Path(model_dir)
    stack: list[str] = []
    try:
        lines = (root / HISTORY).read_text().splitlines()
    except FileNotFoundError:
        lines = []
    for line in lines:
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue
        version = str(entry.get("version"))
        if entry.get("action") == "rollback" and version in stack[:-1]:
            while stack[-1] != version:  # back down to the version rolled back to
                stack.pop()
        else:
            stack.append(version)
    current = deployed_version(root)
    if current is not None and (not stack or stack[-1] != current):
        stack.append(current)  # the pointer was moved by hand
    return stack


def previous_version(model_dir: str | Path) -> str | None:
    """The version a roll-back would deploy: the one below the deployed one that still exists."""
    root = Path(model_dir)
    stack = deployment_stack(root)
    for version in reversed(stack[:-1]):
        if version != (stack[-1] if stack else None) and (root / version).is_dir():
            return version
    return None


def rollback(model_dir: str | Path) -> str:
    """Deploy the previous version (see `previous_version`) and return it.

    Raises LookupError when there is nothing to roll back to.
    """
    root = Path(model_dir)
    target = previous_version(root)
    if target is None:
        raise LookupError(f"no earlier deployment to roll back to in {root}")
    deploy(root, target, action="rollback")
    return target


# ----------------------------------------------------------------------------- the artifacts


def artifact_versions(model_dir: str | Path) -> list[str]:
    """Artifact folders (those with a manifest.json), oldest first by their trained_at."""
    root = Path(model_dir)
    if not root.is_dir():
        return []
    found = []
    for child in root.iterdir():
        manifest = child / "manifest.json"
        if child.is_dir() and _VERSION.match(child.name) and manifest.is_file():
            try:
                trained_at = str(json.loads(manifest.read_text()).get("trained_at", ""))
            except (OSError, json.JSONDecodeError):
                trained_at = ""
            found.append((trained_at, child.name))
    return [name for _, name in sorted(found)]


def read_manifest(model_dir: str | Path, version: str) -> dict[str, Any]:
    """The manifest of `<model_dir>/<version>`; FileNotFoundError if it is not an artifact."""
    path = Path(model_dir) / version / "manifest.json"
    if not _VERSION.match(version) or not path.is_file():
        raise FileNotFoundError(f"no artifact {version} in {model_dir}")
    return json.loads(path.read_text())


def prune(model_dir: str | Path, *, keep: int, dry_run: bool = False) -> list[str]:
    """Delete artifacts except the newest `keep`, the deployed one and its predecessor.

    Returns the versions deleted (or that would be, with `dry_run`).
    """
    if keep < 0:
        raise ValueError("keep must be >= 0")
    root = Path(model_dir)
    versions = artifact_versions(root)
    kept = set(versions[len(versions) - keep :] if keep else [])
    current = deployed_version(root)
    if current is not None:
        kept.add(current)
    previous = previous_version(root)
    if previous is not None:
        kept.add(previous)
    doomed = [v for v in versions if v not in kept]
    if not dry_run:
        for version in doomed:
            shutil.rmtree(root / version)
    return doomed


# ------------------------------------------------------------------------------- the gate


def holdout_mask(frame: pd.DataFrame, *, fraction: float, seed: int) -> np.ndarray:
    """True for held-out ratings: a splitmix64 hash of (user, movie, seed), stable over time."""
    with np.errstate(over="ignore"):
        x = frame["userId"].to_numpy(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
        x ^= frame["movieId"].to_numpy(np.uint64) + np.uint64(0x632BE59BD9B4E019)
        x ^= np.uint64(seed) * np.uint64(0xD1B54A32D192ED03)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        x ^= x >> np.uint64(31)
    return (x % np.uint64(1_000_000)) < np.uint64(round(fraction * 1_000_000))


@dataclass(frozen=True)
class Holdout:
    """The gate's fixed holdout: `fraction` of ratings chosen by a hash of (user, movie, seed),
    so the same ratings stay held out as the data grows; scored on at most `eval_users` users."""

    fraction: float = 0.1
    seed: int = 42
    eval_users: int = 300

    def __post_init__(self) -> None:
        if not 0 < self.fraction < 1:
            raise ValueError("holdout fraction must be between 0 and 1 (exclusive)")
        if self.eval_users < 0:
            raise ValueError("eval_users must be >= 0 (0: all users)")

    def split(self, ratings: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(train part, held-out part), both with a fresh index."""
        held = holdout_mask(ratings, fraction=self.fraction, seed=self.seed)
        return ratings[~held].reset_index(drop=True), ratings[held].reset_index(drop=True)

    def describe(self) -> dict[str, Any]:
        """What a manifest records about this holdout."""
        return {"rule": HOLDOUT_RULE, "fraction": self.fraction, "seed": self.seed}

    def scores(self, scorer: Scorer, train: pd.DataFrame, test: pd.DataFrame) -> dict[str, Any]:
        """RMSE and NDCG@10 of `scorer` on `test` (at most `eval_users` users, drawn with the
        seed), users folded in from their `train` ratings."""
        from ml.evaluate import evaluate_recommender

        users = np.sort(test["userId"].unique())
        if self.eval_users and len(users) > self.eval_users:
            rng = np.random.default_rng(self.seed)
            users = rng.choice(users, size=self.eval_users, replace=False)
        subset = test[test["userId"].isin(users)]
        result = evaluate_recommender(scorer, train=train, test=subset, k=10)
        return {k: result[k] for k in (*GATE_METRICS, "n_test_ratings", "n_ranked_users")}


def non_finite(values: Mapping[str, Any]) -> list[str]:
    """Names of the entries that are not finite: numbers (NaN, inf) or tensors with any such
    element. Nested mappings are searched with dotted names."""
    bad: list[str] = []
    for name, value in values.items():
        if isinstance(value, Mapping):
            bad.extend(f"{name}.{inner}" for inner in non_finite(value))
        elif hasattr(value, "isfinite"):  # a tensor or an array
            if not bool(value.isfinite().all()):
                bad.append(name)
        elif isinstance(value, np.ndarray):
            if not bool(np.isfinite(value).all()):
                bad.append(name)
        elif isinstance(value, float | int) and not isinstance(value, bool):
            bad.extend([] if math.isfinite(value) else [name])
    return bad


def _finite_number(value: Any) -> bool:
    return isinstance(value, float | int) and not isinstance(value, bool) and math.isfinite(value)


@dataclass(frozen=True)
class GatePolicy:
    """When a candidate may replace the deployed model: its holdout scores are finite, its
    parameters are finite, it is not worse than the deployed model on either gate metric (within
    the tolerances), and its RMSE is not above `max_rmse` when that is set."""

    rmse_tolerance: float = 0.005
    ndcg_tolerance: float = 0.005
    max_rmse: float | None = None

    def reasons(
        self,
        candidate: Mapping[str, Any] | None,
        deployed: Mapping[str, Any] | None = None,
        *,
        parameters: Iterable[str] = (),
    ) -> list[str]:
        """Why the candidate must not be deployed ([] = deploy). `candidate` and `deployed` are
        holdout scores (None: not evaluated); `parameters` names the candidate's non-finite
        parameters (see `non_finite`)."""
        broken = list(parameters)
        if broken:
            return [f"candidate parameters are not finite: {', '.join(sorted(broken))}"]
        if candidate is None:
            return []
        if not all(_finite_number(candidate.get(k)) for k in GATE_METRICS):
            shown = ", ".join(f"{k} {candidate.get(k)}" for k in GATE_METRICS)
            return [f"candidate metrics are not finite ({shown})"]
        rmse, ndcg = float(candidate["rmse"]), float(candidate["ndcg@10"])
        reasons = []
        if self.max_rmse is not None and rmse > self.max_rmse:
            reasons.append(f"holdout RMSE {rmse:.4f} above --max-rmse {self.max_rmse}")
        if deployed is None or not all(_finite_number(deployed.get(k)) for k in GATE_METRICS):
            return reasons  # nothing (sound) to beat
        if rmse > float(deployed["rmse"]) + self.rmse_tolerance:
            reasons.append(f"RMSE {rmse:.4f} is worse than the deployed {deployed['rmse']:.4f}")
        if ndcg < float(deployed["ndcg@10"]) - self.ndcg_tolerance:
            reasons.append(
                f"NDCG@10 {ndcg:.4f} is worse than the deployed {deployed['ndcg@10']:.4f}"
            )
        return reasons
