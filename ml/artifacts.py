"""Versioned artifact directories: model.pt (state_dicts), ids.json, manifest.json, curve PNG."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import torch

from ml.data import IdMap
from ml.model import EASE, MatrixFactorization
from ml.sparse_ease import SparseEASE
from ml.types import TrainResult

FORMAT = 1


@dataclass
class Artifact:
    model: MatrixFactorization
    ranker: EASE | SparseEASE
    users: IdMap
    movies: IdMap
    item_counts: torch.Tensor
    manifest: dict[str, Any]


def code_version() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607 (git from PATH, fixed args)
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


def save_artifact(
    root: Path,
    *,
    result: TrainResult,
    metrics: dict[str, Any] | None = None,
    version: str | None = None,
    curve: bool = True,
) -> Path:
    """Write `<root>/<version>/` and return that directory."""
    now = datetime.now(UTC)
    hyper = dataclasses.asdict(result.config)
    hyper.pop("progress", None)
    state = {
        "mf": result.model.state_dict(),
        "ranker": {k: v.contiguous() for k, v in result.ranker.state_dict().items()},
        "item_counts": result.item_counts.clone(),
    }
    if version is None:
        digest = hashlib.sha256(
            json.dumps(hyper, sort_keys=True).encode()
            + result.movies.ids.tobytes()
            + str(result.data_cutoff).encode()
            + now.isoformat().encode()
        ).hexdigest()[:8]
        version = f"{now:%Y%m%dT%H%M%SZ}-{digest}"
    path = Path(root) / version
    path.mkdir(parents=True, exist_ok=False)
    torch.save(state, path / "model.pt")
    ids = {"users": result.users.to_json(), "movies": result.movies.to_json()}
    (path / "ids.json").write_text(json.dumps(ids))
    manifest = {
        "format": FORMAT,
        "version": version,
        "trained_at": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "data_cutoff": result.data_cutoff,
        "data_cutoff_iso": datetime.fromtimestamp(result.data_cutoff, UTC).strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        ),
        "n_users": len(result.users),
        "n_movies": len(result.movies),
        "n_ratings": int(result.item_counts.sum()),
        "hyper_parameters": hyper,
        "model": {
            "dim": result.model.dim,
            "ranker_items": int(result.ranker.kept.numel()),
            "ranker": "sparse_ease" if isinstance(result.ranker, SparseEASE) else "ease",
        },
        "best_epoch": result.best_epoch,
        "metrics": _json_safe(metrics if metrics is not None else result.metrics),
        "history": _json_safe(result.history),
        "code_version": code_version(),
        "torch_version": torch.__version__,
    }
    (path / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    if curve and result.history:
        write_learning_curve(path / "learning_curve.png", history=result.history)
    return path


def write_learning_curve(path: Path, *, history: list[dict[str, float]]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    epochs = [row["epoch"] for row in history]
    fig, (ax_loss, ax_rmse) = plt.subplots(1, 2, figsize=(10, 4))
    ax_loss.plot(epochs, [row["train_loss"] for row in history], label="train MSE")
    if "val_loss" in history[0]:
        ax_loss.plot(epochs, [row["val_loss"] for row in history], label="validation MSE")
        ax_rmse.plot(epochs, [row["val_rmse"] for row in history], color="tab:green")
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel("loss")
    ax_loss.legend()
    ax_rmse.set_xlabel("epoch")
    ax_rmse.set_ylabel("validation RMSE")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def load_artifact(path: Path) -> Artifact:
    path = Path(path)
    manifest = json.loads((path / "manifest.json").read_text())
    ids = json.loads((path / "ids.json").read_text())
    # Mapped, not read: every process serving this file shares its pages (the OS page cache),
    # and the modules below take the mapped tensors as they are (assign=True, no copies).
    state = torch.load(path / "model.pt", map_location="cpu", weights_only=True, mmap=True)
    users, movies = IdMap.from_json(ids["users"]), IdMap.from_json(ids["movies"])
    mf_state = state["mf"]
    n_users, dim = mf_state["user_factors"].shape
    model = MatrixFactorization(
        n_users=n_users,
        n_items=len(movies),
        dim=dim,
    )
    model.load_state_dict(mf_state, assign=True)
    ranker: EASE | SparseEASE
    if "row_ptr" in state["ranker"]:
        ranker = SparseEASE.from_state(state["ranker"])
    else:
        ranker = EASE(n_items=len(movies), n_kept=state["ranker"]["kept"].numel())
        ranker.load_state_dict(state["ranker"], assign=True)
    return Artifact(
        model=model.eval(),
        ranker=ranker.eval(),
        users=users,
        movies=movies,
        item_counts=state["item_counts"],
        manifest=manifest,
    )
