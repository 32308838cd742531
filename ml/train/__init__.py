"""Training: `train(ratings, config) -> TrainResult`. Pure and seeded; no Django imports.

The command line is `python -m ml.train` (`ml/train/__main__.py`, which nothing imports).
"""

from __future__ import annotations

import copy
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch import distributed as dist

from ml.data import (
    IdMap,
    RatingsError,
    Reader,
    describe_ratings,
    load_ratings,
    pair_sample,
    split_random,
)
from ml.model import EASE, MatrixFactorization
from ml.sparse_ease import SparseEASE, neighbour_numbers
from ml.train.blend import BLEND_GRID, fit_blend, ranking_curve, score_spread, spread_weight
from ml.types import TrainConfig, TrainResult

__all__ = ["TrainConfig", "TrainResult", "train"]


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


class _Adam:
    """`torch.optim.Adam(params, lr)` (betas 0.9/0.999, eps 1e-8; the CPU single-tensor update,
    step for step), written out because constructing any `torch.optim` optimizer imports
    `torch._dynamo`: about 3 s of wall time, as much as a first-boot training of the demo data
    (tests/ml/test_train_speed_paths.py checks the two agree)."""

    def __init__(self, params: list[torch.nn.Parameter], lr: float) -> None:
        self.params, self.lr, self.betas, self.eps = params, lr, (0.9, 0.999), 1e-8
        self.exp_avg = [torch.zeros_like(p) for p in params]
        self.exp_avg_sq = [torch.zeros_like(p) for p in params]
        self.steps = 0

    def zero_grad(self) -> None:
        for p in self.params:
            if p.grad is not None:
                p.grad.zero_()

    @torch.no_grad()
    def step(self) -> None:
        beta1, beta2 = self.betas
        self.steps += 1
        step = float(self.steps)
        for p, m, v in zip(self.params, self.exp_avg, self.exp_avg_sq, strict=True):
            if p.grad is None:
                continue
            m.lerp_(p.grad, 1 - beta1)
            v.mul_(beta2).addcmul_(p.grad, p.grad, value=1 - beta2)
            step_size = self.lr / (1 - beta1**step)
            denom = (v.sqrt() / (1 - beta2**step) ** 0.5).add_(self.eps)
            p.addcdiv_(m, denom, value=-step_size)


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
        init_std=config.init_std,
        seed=config.seed,
    )
    mu = float(fit.ratings.double().mean())
    user_n = torch.bincount(fit.users, minlength=n_users).float()
    item_n = torch.bincount(fit.items, minlength=n_items).float()
    with torch.no_grad():
        model.global_mean.fill_(mu)
        model.reg.fill_(config.reg)
        model.reg_bias.fill_(config.reg_bias)
        # Start the biases at regularised means: Adam then needs far fewer epochs.
        item_sum = torch.zeros(n_items).index_add_(0, fit.items, fit.ratings - mu)
        model.item_bias.copy_(item_sum / (item_n + config.base_item_reg))
        base = fit.ratings - mu - model.item_bias[fit.items]
        user_sum = torch.zeros(n_users).index_add_(0, fit.users, base)
        model.user_bias.copy_(user_sum / (user_n + config.base_user_reg))
    n_total = len(fit.ratings)
    user_w, item_w = user_n / n_total, item_n / n_total
    # Data-parallel: each rank takes the loss over its own shard of ratings; gradients are summed
    # across ranks, so every rank applies the same full-data update.
    shard = torch.arange(rank, n_total, world)
    su, si, sr = fit.users[shard], fit.items[shard], fit.ratings[shard]
    opt = _Adam(list(model.parameters()), lr=config.lr)
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
        order = torch.randperm(len(shard), generator=gen) if batch < len(shard) else None
        sq_sum = torch.zeros(())
        for start in range(0, len(shard), batch):
            idx = order[start : start + batch] if order is not None else slice(None)
            u, i, r = su[idx], si[idx], sr[idx]
            err = model(u, i) - r
            frac = len(r) / len(shard)
            # Per-occurrence penalties, written as frequency-weighted sums over rows.
            reg = config.reg * (
                (user_w * model.user_factors.pow(2).sum(1)).sum()
                + (item_w * model.item_factors.pow(2).sum(1)).sum()
            ) + config.reg_bias * (
                (user_w * model.user_bias**2).sum() + (item_w * model.item_bias**2).sum()
            )
            # Scaled so that the sum over ranks is an unbiased full-data gradient.
            total = (err**2).sum() / n_total / frac + reg / world
            opt.zero_grad()
            total.backward()
            if world > 1:
                _all_reduce_grads(model)
            opt.step()
            sq_sum += (err.detach() ** 2).sum()
        row: dict[str, float] = {
            "epoch": epoch,
            "train_loss": float(_all_reduce(sq_sum) / n_total),
        }
        if val is not None:
            model.eval()
            with torch.no_grad():
                vshard = torch.arange(rank, len(val.ratings), world)
                verr = model(val.users[vshard], val.items[vshard]) - val.ratings[vshard]
                vsum = _all_reduce(torch.stack([(verr**2).sum(), verr.abs().sum()]))
            val_mse = float(vsum[0] / len(val.ratings))
            row["val_loss"] = val_mse
            row["val_rmse"] = val_mse**0.5
            row["val_mae"] = float(vsum[1] / len(val.ratings))
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
        return model.eval(), best[1]
    return model.eval(), epochs


def _fit_ranker(
    data: _Encoded, n_users: int, n_items: int, config: TrainConfig, *, similar: bool = True
) -> EASE | SparseEASE:
    """The ranking model; `similar`: with the co-liked lists served as similar movies (not
    needed by the validation ranker that only fits the correction's alpha)."""
    if config.ranker == "sparse":
        return SparseEASE.fit(
            users=data.users,
            items=data.items,
            ratings=data.ratings if similar else None,
            n_items=n_items,
            min_support=config.ease_min_support,
            lam=config.ease_lambda,
            dropout=config.ease_dropout,
            topk=config.ease_topk,
            select_power=config.ease_select_power,
            max_pairs=config.ease_max_pairs,
            row_cap=config.ease_row_cap,
            seed=config.seed,
            world=_world(),
            all_reduce=_all_reduce,
        )
    counts = torch.bincount(data.items, minlength=n_items)
    kept = counts >= config.ease_min_support
    return EASE.fit(
        gram=_gram(data, kept, n_users),
        kept=torch.nonzero(kept).flatten(),
        counts=counts,
        lam=config.ease_lambda,
        dropout=config.ease_dropout,
    )


def _gram(data: _Encoded, kept: torch.Tensor, n_users: int, chunk: int = 4096) -> torch.Tensor:
    """X^T X over the kept movies, by chunks of users (this rank's users only, then summed)."""
    rank, world = _world()
    position = torch.full((len(kept),), -1, dtype=torch.long)
    position[kept] = torch.arange(int(kept.sum()))
    m = int(kept.sum())
    sel = kept[data.items] & ((data.users % world) == rank)
    users, cols = data.users[sel], position[data.items[sel]]
    order = torch.argsort(users, stable=True)
    users, cols = users[order], cols[order]
    bounds = torch.searchsorted(users, torch.arange(0, n_users + chunk, chunk))
    gram = torch.zeros(m, m)
    for c in range(len(bounds) - 1):
        lo, hi = int(bounds[c]), int(bounds[c + 1])
        if lo == hi:
            continue
        rows = users[lo:hi] - c * chunk
        block = torch.zeros(chunk, m)
        block[rows, cols[lo:hi]] = 1.0
        sparse_t = torch.sparse_coo_tensor(
            torch.stack([cols[lo:hi], rows]),
            torch.ones(hi - lo),
            (m, chunk),
            check_invariants=False,
        )
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")
            gram += sparse_t.to_sparse_csr() @ block  # cost nnz * m, not users * m^2
    return _all_reduce(gram)


def _neighbour_numbers(
    ranker: EASE, fit: _Encoded, residuals: torch.Tensor, query: _Encoded, n_users: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """For each query rating (u, i): sum_j B+[j,i] e_uj and sum_j B+[j,i] over u's rated j."""
    bp_t = ranker.weights.clamp(min=0).T.contiguous()  # row i: B+[:, i]
    m = bp_t.shape[0]
    pos_fit, pos_q = ranker.position[fit.items], ranker.position[query.items]
    num, den = torch.zeros(len(query.users)), torch.zeros(len(query.users))
    f_order = torch.argsort(fit.users, stable=True)
    q_order = torch.argsort(query.users, stable=True)
    f_users, q_users = fit.users[f_order], query.users[q_order]
    chunk = max(1, 2_000_000 // max(m, 1))
    edges = torch.arange(0, n_users + chunk, chunk)
    f_bounds, q_bounds = torch.searchsorted(f_users, edges), torch.searchsorted(q_users, edges)
    for c in range(len(edges) - 1):
        lo = int(edges[c])
        f = f_order[int(f_bounds[c]) : int(f_bounds[c + 1])]
        q = q_order[int(q_bounds[c]) : int(q_bounds[c + 1])]
        f, q = f[pos_fit[f] >= 0], q[pos_q[q] >= 0]
        if len(q) == 0:
            continue
        e = torch.zeros(chunk, m)
        x = torch.zeros(chunk, m)
        e[fit.users[f] - lo, pos_fit[f]] = residuals[f]
        x[fit.users[f] - lo, pos_fit[f]] = 1.0
        qu, qp = query.users[q] - lo, pos_q[q]
        cols = bp_t[qp]  # (queries, m): B+[j, i] for each query's movie i
        num[q] = (e[qu] * cols).sum(1)
        den[q] = (x[qu] * cols).sum(1)
    return num, den


@torch.no_grad()
def _predict(model: MatrixFactorization, data: _Encoded, chunk: int = 1_000_000) -> torch.Tensor:
    return torch.cat(
        [
            model(data.users[lo : lo + chunk], data.items[lo : lo + chunk])
            for lo in range(0, len(data.users), chunk)
        ]
    )


def _fit_alpha(
    model: MatrixFactorization,
    ranker: EASE | SparseEASE,
    fit: _Encoded,
    val: _Encoded,
    n_users: int,
    beta: float,
) -> float:
    """Least-squares weight of the neighbour correction on the validation ratings."""
    residuals = fit.ratings - _predict(model, fit)
    if isinstance(ranker, SparseEASE):
        num, den = neighbour_numbers(
            ranker,
            fit_users=fit.users,
            fit_items=fit.items,
            residuals=residuals,
            query_users=val.users,
            query_items=val.items,
        )
    else:
        num, den = _neighbour_numbers(ranker, fit, residuals, val, n_users)
    corr = num / (den + beta)
    target = val.ratings - _predict(model, val)
    denom = float((corr * corr).sum())
    return 0.0 if denom == 0.0 else min(max(float((corr * target).sum()) / denom, 0.0), 5.0)


def _encode(frame: pd.DataFrame, users: IdMap, movies: IdMap) -> _Encoded:
    return _Encoded(
        users=torch.from_numpy(users.to_index(frame["userId"].to_numpy())),
        items=torch.from_numpy(movies.to_index(frame["movieId"].to_numpy())),
        ratings=torch.from_numpy(frame["rating"].to_numpy(np.float32).copy()),
    )


def train(
    ratings: pd.DataFrame | str | Path,
    config: TrainConfig | None = None,
    *,
    reader: Reader | None = None,
) -> TrainResult:
    """Fit the rating model (early-stopped on a validation carve-out, then refit on everything),
    the ranker, and the weight of the ranker-neighbour correction of predicted stars.

    `ratings` is a DataFrame (userId, movieId, rating[, timestamp]) or a path read with `reader`
    (see `ml.data.load_ratings`); bad input raises `ml.data.RatingsError`.
    """
    config = config or TrainConfig()
    start = time.perf_counter()
    frame = load_ratings(ratings, reader=reader)
    users, movies = (
        IdMap(frame["userId"].to_numpy()),
        IdMap(frame["movieId"].to_numpy()),
    )
    n_users, n_items = len(users), len(movies)
    full = _encode(frame, users, movies)
    fit_part, val_part = split_random(frame, test_fraction=config.val_fraction, seed=config.seed)
    if len(val_part) == 0 or len(fit_part) == 0:
        raise RatingsError(
            f"{len(frame)} ratings are too few to hold out val_fraction={config.val_fraction:g} "
            "for validation"
        )
    fit, val = _encode(fit_part, users, movies), _encode(val_part, users, movies)
    history: list[dict[str, float]] = []
    model, best_epoch = _fit_mf(
        fit=fit,
        val=val,
        n_users=n_users,
        n_items=n_items,
        config=config,
        epochs=config.epochs,
        history=history,
    )
    metrics = {k: history[best_epoch - 1][k] for k in ("val_rmse", "val_mae")}
    alpha, blend = config.resid_alpha, config.rank_blend
    val_ranker: EASE | SparseEASE | None = None
    if alpha < 0 or blend < 0 or not config.refit:
        # Fitted on the fit part only, so it can score the validation split; without a refit it
        # is the served ranker too (with the similar-movies lists), as the rating model is.
        val_ranker = _fit_ranker(fit, n_users, n_items, config, similar=not config.refit)
        if alpha < 0:
            alpha = _fit_alpha(model, val_ranker, fit, val, n_users, config.resid_beta)
        if blend < 0:
            curve = ranking_curve(
                model,
                val_ranker,
                hist_users=fit.users,
                hist_items=fit.items,
                hist_stars=fit.ratings,
                query_users=val.users,
                query_items=val.items,
                query_stars=val.ratings,
                seed=config.seed,
            )
            blend = fit_blend(curve)
            metrics.update(
                {f"val_ndcg@10_blend_{w:g}": v for w, v in zip(BLEND_GRID, curve, strict=True)}
            )
    metrics["resid_alpha"] = alpha
    if config.refit:
        val_ranker = None  # freed before the refit
        model, _ = _fit_mf(
            fit=full,
            val=None,
            n_users=n_users,
            n_items=n_items,
            config=config,
            epochs=max(best_epoch, 1),
            history=None,
        )
    ranker = val_ranker if val_ranker is not None else _fit_ranker(full, n_users, n_items, config)
    if config.rank_blend > 0:  # a fixed weight, put on this ranker's scale (0 stays 0)
        served = fit if val_ranker is not None else full
        spread = score_spread(ranker, users=served.users, items=served.items, seed=config.seed)
        metrics["ranker_spread"] = spread
        blend = spread_weight(config.rank_blend, spread)
    metrics["rank_blend"] = blend
    if isinstance(ranker, SparseEASE):
        metrics["ease_user_cap"] = ranker.user_cap  # 0: no user's ratings were capped
        metrics["ease_gram_share"] = ranker.gram_share
    ranker.blend.fill_(blend)
    ranker.alpha.fill_(alpha)
    ranker.beta.fill_(config.resid_beta)
    return TrainResult(
        model=model,
        ranker=ranker,
        users=users,
        movies=movies,
        item_counts=torch.bincount(full.items, minlength=n_items),
        config=config,
        history=history,
        best_epoch=best_epoch,
        metrics=metrics,
        data_cutoff=int(frame["timestamp"].max()),
        train_seconds=time.perf_counter() - start,
        data=describe_ratings(frame),
        trained_pairs=pair_sample(frame),
    )
