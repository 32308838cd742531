"""Versioned artifact directories: model.pt (state_dicts), ids.json, manifest.json, curve PNG.

Artifacts hold movies only: no user ids and no trained user vectors (serving folds users in from
their current ratings). `trained_pairs.npy` keeps hashes of 1 in 64 training (user, movie) pairs,
so an evaluation can tell that its test set overlaps the training data (`ml.data.sample_overlap`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import shlex
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ml.data import IdMap
from ml.model import EASE, MatrixFactorization
from ml.sparse_ease import SparseEASE
from ml.types import TrainResult

FORMAT = 1


USER_KEYS = ("user_factors", "user_bias")  # never written to an artifact
PAIRS_FILE = "trained_pairs.npy"


@dataclass
class Artifact:
    """A loaded artifact: the models, the movie id map and the manifest (`model` has no users)."""

    model: MatrixFactorization
    ranker: EASE | SparseEASE
    movies: IdMap
    item_counts: torch.Tensor
    manifest: dict[str, Any]


def code_version() -> str:
    """The short git sha of the code, or "unknown"."""
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
    served: dict[str, Any] | None = None,
    training: dict[str, Any] | None = None,
    command: Sequence[str] | None = None,
) -> Path:
    """Write `<root>/<version>/` and return that directory.

    `metrics`: the flat figures the CLIs print (kept for older readers); `served`: the served
    model's scores by data set (e.g. {"holdout": {...}}); `training`: more provenance of the
    training data (e.g. the holdout it excludes, its source); `command`: the command line
    (default: this process's).
    """
    now = datetime.now(UTC)
    hyper = dataclasses.asdict(result.config)
    hyper.pop("progress", None)
    mf_state = {k: v for k, v in result.model.state_dict().items() if k not in USER_KEYS}
    state = {
        "mf": mf_state,
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
    (path / "ids.json").write_text(json.dumps({"movies": result.movies.to_json()}))
    if result.trained_pairs is not None:
        np.save(path / PAIRS_FILE, np.asarray(result.trained_pairs, dtype=np.uint64))
    rating_model = {
        "validation": {
            k: result.metrics[k] for k in ("val_rmse", "val_mae") if k in result.metrics
        },
        "val_fraction": result.config.val_fraction,
        "best_epoch": result.best_epoch,
        "epochs_run": len(result.history),
        "refit_on_all": result.config.refit,
        "resid_alpha": result.metrics.get("resid_alpha"),
    }
    training_data = {
        **result.data,
        **(training or {}),
        "command": shlex.join(command if command is not None else sys.argv),
        "pair_sample": PAIRS_FILE if result.trained_pairs is not None else None,
    }
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
        "training_data": training_data,
        "hyper_parameters": hyper,
        "model": {
            "dim": result.model.dim,
            "ranker_items": int(result.ranker.kept.numel()),
            "ranker": "sparse_ease" if isinstance(result.ranker, SparseEASE) else "ease",
        },
        "best_epoch": result.best_epoch,
        "rating_model": _json_safe(rating_model),
        "served": _json_safe(served or {}),
        "metrics": _json_safe(metrics if metrics is not None else result.metrics),
        "history": _json_safe(result.history),
        "code_version": code_version(),
        "torch_version": torch.__version__,
    }
    (path / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    if curve and result.history:
        write_learning_curve(
            path / "learning_curve.png", history=result.history, best_epoch=result.best_epoch
        )
    return path


def write_learning_curve(
    path: Path, *, history: list[dict[str, float]], best_epoch: int = 0
) -> None:
    """Train and validation loss, and validation RMSE, per epoch; the best epoch (the one kept)
    is marked. Points are drawn too, so a run of one or two epochs shows something."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    epochs = [row["epoch"] for row in history]
    style = {"marker": "o", "markersize": 4} if len(epochs) <= 30 else {}
    fig, (ax_loss, ax_rmse) = plt.subplots(1, 2, figsize=(10, 4))
    ax_loss.plot(epochs, [row["train_loss"] for row in history], label="train MSE", **style)
    if "val_loss" in history[0]:
        ax_loss.plot(epochs, [row["val_loss"] for row in history], label="validation MSE", **style)
        ax_rmse.plot(epochs, [row["val_rmse"] for row in history], color="tab:green", **style)
        best = next((row for row in history if row["epoch"] == best_epoch), None)
        if best is not None:
            for ax in (ax_loss, ax_rmse):
                ax.axvline(best_epoch, color="tab:red", linestyle="--", linewidth=1)
            ax_rmse.plot([best_epoch], [best["val_rmse"]], "r*", markersize=12)
            ax_rmse.annotate(
                f"best epoch {best_epoch}: {best['val_rmse']:.4f}",
                (best_epoch, best["val_rmse"]),
                textcoords="offset points",
                xytext=(5, 10),
                color="tab:red",
            )
            ax_loss.plot([], [], color="tab:red", linestyle="--", label=f"best epoch {best_epoch}")
    if len(epochs) == 1:
        for ax in (ax_loss, ax_rmse):
            ax.set_xlim(0.5, 1.5)
            ax.set_xticks([1])
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel("loss")
    ax_loss.legend()
    ax_rmse.set_xlabel("epoch")
    ax_rmse.set_ylabel("validation RMSE")
    fig.suptitle(f"{len(epochs)} epoch(s) run, best epoch {best_epoch}")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def load_artifact(path: Path) -> Artifact:
    """Read an artifact folder (older artifacts with stored users load too; users are dropped)."""
    path = Path(path)
    manifest = json.loads((path / "manifest.json").read_text())
    ids = json.loads((path / "ids.json").read_text())
    # Mapped, not read: every process serving this file shares its pages (the OS page cache),
    # and the modules below take the mapped tensors as they are (assign=True, no copies).
    state = torch.load(path / "model.pt", map_location="cpu", weights_only=True, mmap=True)
    movies = IdMap.from_json(ids["movies"])
    mf_state = {k: v for k, v in state["mf"].items() if k not in USER_KEYS}
    dim = mf_state["item_factors"].shape[1]
    model = MatrixFactorization(n_users=0, n_items=len(movies), dim=dim)
    mf_state["user_factors"] = torch.zeros(0, dim)
    mf_state["user_bias"] = torch.zeros(0)
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
        movies=movies,
        item_counts=state["item_counts"],
        manifest=manifest,
    )


def load_trained_pairs(path: Path) -> np.ndarray | None:
    """The artifact's sample of hashed training pairs, or None (older artifacts)."""
    file = Path(path) / PAIRS_FILE
    return np.load(file, allow_pickle=False) if file.is_file() else None
