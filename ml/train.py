"""Training: `train(ratings, config) -> TrainResult` and the `python -m ml.train` CLI."""

from __future__ import annotations

import argparse
import copy
import dataclasses
import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import distributed as dist

from ml.data import IdMap, load_ratings, split_random
from ml.model import EASE, MatrixFactorization


@dataclass(frozen=True)
class TrainConfig:
    dim: int = 64
    context: bool = False
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
    base_user_reg: float = 10.0
    base_item_reg: float = 25.0
    ease_lambda: float = 200.0
    ease_dropout: float = 0.25
    ease_min_support: int = 3
    rank_blend: float = 0.1
    progress: bool = False


@dataclass
class TrainResult:
    model: MatrixFactorization
    ranker: EASE
    users: IdMap
    movies: IdMap
    item_counts: torch.Tensor
    config: TrainConfig
    history: list[dict[str, float]] = field(default_factory=list)
    best_epoch: int = 0
    metrics: dict[str, float] = field(default_factory=dict)
    data_cutoff: int = 0
    train_seconds: float = 0.0


@dataclass
class _Encoded:
    users: torch.Tensor
    items: torch.Tensor
    ratings: torch.Tensor


def _world() -> tuple[int, int]:
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def _all_reduce(tensor: torch.Tensor) -> torch.Tensor:
    if _world()[1] > 1:
        dist.all_reduce(tensor)
    return tensor


def _all_reduce_grads(model: torch.nn.Module) -> None:
    """Sum gradients over ranks in one flat all_reduce (every rank has the same parameters)."""
    grads = [p.grad for p in model.parameters() if p.grad is not None]
    flat = torch.cat([g.reshape(-1) for g in grads])
    dist.all_reduce(flat)
    offset = 0
    for g in grads:
        g.copy_(flat[offset : offset + g.numel()].view_as(g))
        offset += g.numel()


def _baseline(
    data: _Encoded,
    n_users: int,
    n_items: int,
    mu: float,
    *,
    item_reg: float,
    user_reg: float,
) -> torch.Tensor:
    """Regularised item offsets (used only to centre ratings for the residual context)."""
    resid = data.ratings - mu
    sums = torch.zeros(n_items, dtype=torch.float64).index_add_(
        0, data.items, resid.double()
    )
    counts = torch.bincount(data.items, minlength=n_items).double()
    return (sums / (counts + item_reg)).float()


def _design(model: MatrixFactorization, data: _Encoded, n_users: int) -> torch.Tensor:
    """Sparse (users x 2*items): [1/sqrt(n_u) | centred residual/sqrt(n_u)]."""
    n_items = model.n_items
    counts = torch.bincount(data.users, minlength=n_users).float()
    base = data.ratings - model.global_mean - model.base_item_bias[data.items]
    user_sum = torch.zeros(n_users).index_add_(0, data.users, base)
    offset = user_sum / (counts + model.base_user_reg)
    resid = base - offset[data.users]
    scale = counts.clamp(min=1).rsqrt()[data.users]
    rows = torch.cat([data.users, data.users])
    cols = torch.cat([data.items, data.items + n_items])
    vals = torch.cat([scale, resid * scale])
    return torch.sparse_coo_tensor(
        torch.stack([rows, cols]), vals, (n_users, 2 * n_items)
    ).coalesce()


def _fit_mf(
    *,
    fit: _Encoded,
    val: _Encoded | None,
    n_users: int,
    n_items: int,
    config: TrainConfig,
    epochs: int,
    history: list[dict[str, float]] | None,
) -> tuple[MatrixFactorization, int]:
    rank, world = _world()
    torch.manual_seed(config.seed)
    model = MatrixFactorization(
        n_users=n_users,
        n_items=n_items,
        dim=config.dim,
        context=config.context,
        init_std=config.init_std,
        seed=config.seed,
    )
    mu = float(fit.ratings.double().mean())
    model.global_mean.fill_(mu)
    model.base_item_bias.copy_(
        _baseline(
            fit,
            n_users,
            n_items,
            mu,
            item_reg=config.base_item_reg,
            user_reg=config.base_user_reg,
        )
    )
    model.base_user_reg.fill_(config.base_user_reg)
    with torch.no_grad():
        model.item_bias.copy_(model.base_item_bias)
        base = fit.ratings - mu - model.base_item_bias[fit.items]
        user_sum = torch.zeros(n_users).index_add_(0, fit.users, base)
        user_n = torch.bincount(fit.users, minlength=n_users).float()
        model.user_bias.copy_(user_sum / (user_n + config.base_user_reg))
    model.reg.fill_(config.reg)
    model.reg_bias.fill_(config.reg_bias)
    design = _design(model, fit, n_users) if config.context else None
    n_total = len(fit.ratings)
    user_w = torch.bincount(fit.users, minlength=n_users).float() / n_total
    item_w = torch.bincount(fit.items, minlength=n_items).float() / n_total
    # Data-parallel: every rank sees the whole design (a user's context needs all their ratings)
    # but takes the loss over its own shard of ratings; gradients are summed across ranks.
    shard = torch.arange(rank, n_total, world)
    su, si, sr = fit.users[shard], fit.items[shard], fit.ratings[shard]
    opt = torch.optim.Adam(model.parameters(), lr=config.lr)
    gen = torch.Generator().manual_seed(config.seed + 1)
    batch = config.batch_size or len(shard)
    best = (float("inf"), 0, copy.deepcopy(model.state_dict()))
    bad = 0
    bar = None
    if config.progress and rank == 0:
        from tqdm import tqdm

        bar = tqdm(total=epochs, desc="train", unit="epoch", file=sys.stderr)
    for epoch in range(1, epochs + 1):
        model.train()
        order = (
            torch.randperm(len(shard), generator=gen) if batch < len(shard) else None
        )
        sq_sum = torch.zeros(())
        for start in range(0, len(shard), batch):
            idx = order[start : start + batch] if order is not None else slice(None)
            u, i, r = su[idx], si[idx], sr[idx]
            ctx = model.user_context(design) if design is not None else None
            err = model(u, i, ctx) - r
            frac = len(r) / len(shard)
            loss = (err**2).sum() / n_total
            reg = config.reg * (
                (user_w * model.user_factors.pow(2).sum(1)).sum()
                + (item_w * model.item_factors.pow(2).sum(1)).sum()
            ) + config.reg_bias * (
                (user_w * model.user_bias**2).sum()
                + (item_w * model.item_bias**2).sum()
            )
            if config.context:
                ctx_norm = model.context_factors.pow(2).sum(1)
                reg = (
                    reg
                    + config.reg
                    * (item_w * (ctx_norm[:n_items] + ctx_norm[n_items:])).sum()
                )
            # Scale so that summing gradients over ranks gives the full-data gradient.
            total = loss / frac + reg / world
            opt.zero_grad(set_to_none=False)
            total.backward()
            if world > 1:
                _all_reduce_grads(model)
            opt.step()
            sq_sum += (err.detach() ** 2).sum()
        train_mse = float(_all_reduce(sq_sum) / n_total)
        row: dict[str, float] = {"epoch": epoch, "train_loss": train_mse}
        if val is not None:
            model.eval()
            with torch.no_grad():
                ctx = model.user_context(design) if design is not None else None
                vshard = torch.arange(rank, len(val.ratings), world)
                verr = (
                    model(val.users[vshard], val.items[vshard], ctx)
                    - val.ratings[vshard]
                )
                vsq = _all_reduce(torch.stack([(verr**2).sum(), (verr.abs()).sum()]))
            val_mse = float(vsq[0] / len(val.ratings))
            row["val_loss"] = val_mse
            row["val_rmse"] = val_mse**0.5
            row["val_mae"] = float(vsq[1] / len(val.ratings))
            if val_mse < best[0] - 1e-6:
                best = (val_mse, epoch, copy.deepcopy(model.state_dict()))
                bad = 0
            else:
                bad += 1
        if history is not None:
            history.append(row)
        if bar is not None:
            bar.update(1)
            bar.set_postfix({k: round(v, 4) for k, v in row.items() if k != "epoch"})
        if val is not None and bad >= config.patience:
            break
    if bar is not None:
        bar.close()
    if val is not None:
        model.load_state_dict(best[2])
        return model, best[1]
    return model, epochs


def _gram(
    items: torch.Tensor, users: torch.Tensor, n_users: int, n_items: int
) -> torch.Tensor:
    rank, world = _world()
    mine = (users % world) == rank
    u, i = users[mine], items[mine]
    x = torch.sparse_coo_tensor(
        torch.stack([u, i]), torch.ones(len(u)), (n_users, n_items)
    ).coalesce()
    gram = torch.sparse.mm(x.t().coalesce(), x).to_dense()
    return _all_reduce(gram)


def _encode(frame: pd.DataFrame, users: IdMap, movies: IdMap) -> _Encoded:
    return _Encoded(
        users=torch.from_numpy(users.to_index(frame["userId"].to_numpy())),
        items=torch.from_numpy(movies.to_index(frame["movieId"].to_numpy())),
        ratings=torch.from_numpy(frame["rating"].to_numpy(np.float32).copy()),
    )


def train(
    ratings: pd.DataFrame | str | Path, config: TrainConfig | None = None
) -> TrainResult:
    """Fit the rating model (early-stopped on a validation carve-out, then refit) and the ranker."""
    config = config or TrainConfig()
    start = time.perf_counter()
    frame = load_ratings(ratings)
    users, movies = (
        IdMap(frame["userId"].to_numpy()),
        IdMap(frame["movieId"].to_numpy()),
    )
    n_users, n_items = len(users), len(movies)
    full = _encode(frame, users, movies)
    fit_part, val_part = split_random(
        frame, test_fraction=config.val_fraction, seed=config.seed
    )
    history: list[dict[str, float]] = []
    model, best_epoch = _fit_mf(
        fit=_encode(fit_part, users, movies),
        val=_encode(val_part, users, movies),
        n_users=n_users,
        n_items=n_items,
        config=config,
        epochs=config.epochs,
        history=history,
    )
    best_row = history[best_epoch - 1] if best_epoch else {}
    if config.refit:
        model, _ = _fit_mf(
            fit=full,
            val=None,
            n_users=n_users,
            n_items=n_items,
            config=config,
            epochs=max(best_epoch, 1),
            history=None,
        )
    counts = torch.bincount(full.items, minlength=n_items)
    gram = _gram(full.items, full.users, n_users, n_items)
    ranker = EASE.fit(
        gram=gram,
        counts=counts,
        lam=config.ease_lambda,
        dropout=config.ease_dropout,
        min_support=config.ease_min_support,
    )
    ranker.blend.fill_(config.rank_blend)
    model.eval()
    return TrainResult(
        model=model,
        ranker=ranker,
        users=users,
        movies=movies,
        item_counts=counts,
        config=config,
        history=history,
        best_epoch=best_epoch,
        metrics={
            "val_rmse": best_row.get("val_rmse", float("nan")),
            "val_mae": best_row.get("val_mae", float("nan")),
        },
        data_cutoff=int(frame["timestamp"].max()),
        train_seconds=time.perf_counter() - start,
    )


def _parse(argv: list[str] | None) -> argparse.Namespace:
    defaults = TrainConfig()
    parser = argparse.ArgumentParser(prog="python -m ml.train", description=__doc__)
    parser.add_argument(
        "--ratings", required=True, help="ratings folder, .csv(.gz) or .dat"
    )
    parser.add_argument(
        "--out", default="artifacts", help="artifact root; writes <out>/<version>/"
    )
    parser.add_argument(
        "--test", help="optional held-out ratings to evaluate the artifact on"
    )
    parser.add_argument(
        "--distributed", action="store_true", help="torchrun data-parallel (gloo)"
    )
    parser.add_argument(
        "--max-rmse", type=float, help="exit non-zero if validation RMSE exceeds"
    )
    parser.add_argument(
        "--threads", type=int, default=0, help="torch threads (0: torch default)"
    )
    for f in dataclasses.fields(TrainConfig):
        if f.name == "progress":
            continue
        value = getattr(defaults, f.name)
        name = "--" + f.name.replace("_", "-")
        if isinstance(value, bool):
            parser.add_argument(
                name, type=lambda s: s.lower() in ("1", "true", "yes"), default=value
            )
        else:
            parser.add_argument(name, type=type(value), default=value)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.distributed:
        dist.init_process_group("gloo")
    rank, world = _world()
    values = {
        f.name: getattr(args, f.name)
        for f in dataclasses.fields(TrainConfig)
        if f.name != "progress"
    }
    config = TrainConfig(**values, progress=True)
    result = train(args.ratings, config)
    code = 0
    if rank == 0:
        from ml.artifacts import save_artifact

        metrics: dict[str, Any] = dict(result.metrics)
        metrics["train_seconds"] = round(result.train_seconds, 3)
        metrics["best_epoch"] = result.best_epoch
        metrics["world_size"] = world
        if args.test:
            from ml.evaluate import evaluate_recommender
            from ml.recommender import Recommender

            rec = Recommender.from_result(result)
            metrics.update(
                evaluate_recommender(
                    rec, train=load_ratings(args.ratings), test=load_ratings(args.test)
                )
            )
        path = save_artifact(Path(args.out), result=result, metrics=metrics)
        print(json.dumps({"artifact": str(path), "metrics": metrics}, indent=2))
        if args.max_rmse is not None and metrics.get("val_rmse", 0.0) > args.max_rmse:
            print(f"validation RMSE above --max-rmse {args.max_rmse}", file=sys.stderr)
            code = 1
    if args.distributed:
        dist.barrier()
        dist.destroy_process_group()
    return code


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "2")
    raise SystemExit(main())
