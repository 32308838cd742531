"""The training configuration and result types, shared by the trainer, the artifacts and the CLIs.

Pure data: no torch code runs here beyond the tensor and module types the result carries.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import torch

    from ml.data import IdMap
    from ml.model import EASE, MatrixFactorization
    from ml.sparse_ease import SparseEASE


@dataclass(frozen=True)
class TrainConfig:
    """Hyper-parameters of `ml.train.train`. Invalid values raise `ValueError` at construction.

    `dim`: embedding size of the rating model; `epochs`: at most this many full passes (early
    stopping on `val_fraction` of the ratings, `patience` epochs without improvement); `refit`:
    retrain the rating model on all ratings for the best number of epochs, and the ranker on all
    ratings (False: both are served as fitted on the fit part; one ranker fit instead of two);
    `ease_*`: the ranking model; `rank_blend`: weight of the predicted stars in the ranked list,
    for ranker scores that spread as dense EASE's on the demo data: training scales it by the
    served ranker's own spread (`ml.train.blend.spread_weight`; the served weight is the
    manifest's `rank_blend`), or < 0: fitted on the validation split by NDCG@10; `resid_alpha` < 0
    fits the neighbour correction on the validation split (0 turns it off).
    """

    dim: int = 64
    epochs: int = 300
    lr: float = 0.03
    reg: float = 0.1
    reg_bias: float = 0.005
    init_std: float = 0.01
    batch_size: int = 0  # 0: full batch
    patience: int = 15
    val_fraction: float = 0.05
    refit: bool = True
    seed: int = 42
    base_user_reg: float = 10.0  # only for initialising the biases
    base_item_reg: float = 25.0
    ease_lambda: float = 200.0
    ease_dropout: float = 0.25
    ease_min_support: int = 3
    ranker: str = "sparse"  # "sparse": top-k EASE (ml/sparse_ease.py); "dense": full EASE
    ease_topk: int = 128  # sparse: regressors (neighbours) per movie
    ease_select_power: float = 0.5  # sparse: neighbours by largest G_ij / G_jj^power
    # sparse: co-rating pairs one Gram walk may enumerate (sum over users of their ratings
    # squared); above it, users over the cap it implies enter the Gram with a seeded sample of
    # that many ratings (ml/sparse_ease.py `user_cap`). 0: no cap. The shared splits have ~5e7
    # pairs (never capped); a MovieLens-32M shape ~1.9e10 (bench/ml/RESULTS.md, 2026-12-01 night).
    ease_max_pairs: int = 6_000_000_000
    # sparse: scoring entries kept per rated movie, its largest weights (0: all). A popular movie
    # is a neighbour of up to half a 87k catalogue; its smallest weights barely move a ranking
    # but were most of the fold-in's cost at that size (bench/ml/RESULTS.md, 2026-12-02).
    ease_row_cap: int = 2000
    # < 0: fitted on the validation split (not the default: bench/ml/RESULTS.md, 2026-12-01 late)
    rank_blend: float = 0.1
    resid_alpha: float = -1.0  # < 0: fitted on the validation split; 0 disables the correction
    resid_beta: float = 0.1
    progress: bool = False

    def __post_init__(self) -> None:
        for name, value in dataclasses.asdict(self).items():
            expected = type(getattr(TrainConfig, name))
            if expected is float and isinstance(value, int) and not isinstance(value, bool):
                object.__setattr__(self, name, float(value))
            elif not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
                raise ValueError(f"{name} must be {expected.__name__}, got {value!r}")
            if isinstance(value, float) and not math.isfinite(value):
                raise ValueError(f"{name} must be a finite number, got {value!r}")
        rules: list[tuple[bool, str]] = [
            (self.dim >= 1, "dim must be at least 1"),
            (self.epochs >= 1, "epochs must be at least 1"),
            (self.lr > 0, "lr must be positive"),
            (self.reg >= 0, "reg must be >= 0"),
            (self.reg_bias >= 0, "reg_bias must be >= 0"),
            (self.init_std >= 0, "init_std must be >= 0"),
            (self.batch_size >= 0, "batch_size must be >= 0 (0: full batch)"),
            (self.patience >= 1, "patience must be at least 1"),
            (0 < self.val_fraction < 1, "val_fraction must be between 0 and 1 (exclusive)"),
            (self.base_user_reg >= 0, "base_user_reg must be >= 0"),
            (self.base_item_reg >= 0, "base_item_reg must be >= 0"),
            (self.ease_lambda > 0, "ease_lambda must be positive"),
            (0 <= self.ease_dropout < 1, "ease_dropout must be in [0, 1)"),
            (self.ease_min_support >= 1, "ease_min_support must be at least 1"),
            (self.ranker in ("sparse", "dense"), "ranker must be 'sparse' or 'dense'"),
            (self.ease_topk >= 1, "ease_topk must be at least 1"),
            (self.ease_select_power >= 0, "ease_select_power must be >= 0"),
            (self.ease_max_pairs >= 0, "ease_max_pairs must be >= 0 (0: no cap)"),
            (self.ease_row_cap >= 0, "ease_row_cap must be >= 0 (0: no cap)"),
            (self.resid_beta > 0, "resid_beta must be positive"),
        ]
        for ok, message in rules:
            if not ok:
                raise ValueError(message)

    @classmethod
    def field_names(cls) -> list[str]:
        """The settable fields (everything but `progress`)."""
        return [f.name for f in dataclasses.fields(cls) if f.name != "progress"]

    @classmethod
    def parse_value(cls, name: str, raw: str) -> Any:
        """`raw` (command-line text) converted to the type of field `name`; ValueError if not."""
        if name not in cls.field_names():
            raise ValueError(f"unknown TrainConfig field {name!r}")
        default = getattr(cls, name)
        if isinstance(default, bool):
            text = raw.strip().lower()
            if text in ("1", "true", "yes", "on"):
                return True
            if text in ("0", "false", "no", "off"):
                return False
            raise ValueError(f"{name} must be true or false, got {raw!r}")
        try:
            return type(default)(raw.strip())
        except ValueError:
            raise ValueError(f"{name} must be {type(default).__name__}, got {raw!r}") from None


@dataclass
class TrainResult:
    """What `ml.train.train` returns: the fitted rating model and ranker with their id maps.

    `users` is the training user map (training only: artifacts do not store users); `history`
    holds one row per epoch of the early-stopped run (`train_loss`, `val_rmse`, ...);
    `metrics` the rating model's validation figures at `best_epoch`; `data` the provenance
    of the training ratings (`ml.data.describe_ratings`).
    """

    model: MatrixFactorization
    ranker: EASE | SparseEASE
    users: IdMap
    movies: IdMap
    item_counts: torch.Tensor
    config: TrainConfig
    history: list[dict[str, float]] = field(default_factory=list)
    best_epoch: int = 0
    metrics: dict[str, float] = field(default_factory=dict)
    data_cutoff: int = 0
    train_seconds: float = 0.0
    data: dict[str, Any] = field(default_factory=dict)
    trained_pairs: np.ndarray | None = None  # ml.data.pair_sample of the training ratings
