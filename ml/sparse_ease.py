"""Sparse item-item ranking model: EASE/EDLAE restricted to each movie's top-k co-rated movies.

EASE's closed form (B = I - P diag(1/diag P), P = (G + Lambda)^-1, G = X^T X) is, column by
column, a ridge regression of "rated movie j" on every other movie with penalty
Lambda_i = lambda + p/(1-p) G_ii (EDLAE's dropout penalty). Solving that regression over only the
`topk` movies most co-rated with j gives a sparse B whose memory is n_movies * topk and whose
training is two streaming passes over blocks of movies:

1. Gram rows by blocks of movies from the user-sorted ratings (every co-rating pair enumerated,
   temporaries bounded by `pair_budget`): keep, per movie j, its `topk` neighbours N_j (largest
   G_ij / G_ii^select_power, never j) and the Gram values to them.
2. A second walk over the same Gram rows copies G[N_j, N_j] exactly into an (n, topk, topk) buffer.
3. Per movie a (topk x topk) Cholesky solve (G_NN + Lambda_N) b = G_Nj, batched, in float64.

With topk at least the number of kept movies minus one the model is exactly EASE
(tests/ml/test_sparse_ease.py). Cost: passes 1-2 are linear in the co-rating pairs (sum over users
of their ratings squared) plus n * n_kept for the dense block rows; pass 3 is n * topk^3; memory
n * topk^2 while training (divided by the ranks under torchrun: each solves its share of the
movies), n * topk * 16 bytes served.

Serving folds a user in from the rated set, as EASE does: scores = x_u B, read from a CSR copy of
B by rows (source movie -> the movies it predicts), so a request touches only its rated rows.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import torch
from torch import nn

SIMILAR_LIST = 32  # co-liked movies stored per movie for the similar-movies list
LIKED = 4.0  # stars from which a rating counts as liking the movie
PAIR_BUDGET = 24_000_000  # co-rating pairs enumerated at once in pass 1 (about 1 GB of temporaries)
MAX_BLOCK = 16  # movies per block: a dense (block x kept movies) Gram slice
# Up to this size the whole Gram matrix is built once by sparse x dense products over chunks of
# users (cost: ratings x kept movies) and the walks slice it, instead of enumerating every
# co-rating pair twice (sum over users of their ratings squared): the demo data's heavy raters
# make the pairs ~40x the ratings. 128 MB: about 5,800 kept movies.
DENSE_GRAM_BYTES = 128 * 2**20
USER_CHUNK = 4096


class SparseEASE(nn.Module):
    """Column form `neighbours`/`weights` ((kept, topk): target j <- its regressors), and the same
    entries by source row (`row_ptr`, `row_targets`, `row_weights`) for scoring. Positions are
    indices into `kept` (movies with enough training ratings); `position` maps item -> position."""

    # Buffers (register_buffer), declared for the type checker.
    kept: torch.Tensor
    position: torch.Tensor
    neighbours: torch.Tensor
    weights: torch.Tensor
    row_ptr: torch.Tensor
    row_targets: torch.Tensor
    row_weights: torch.Tensor
    popularity: torch.Tensor
    co_liked: torch.Tensor
    blend: torch.Tensor
    alpha: torch.Tensor
    beta: torch.Tensor

    def __init__(self, *, n_items: int, n_kept: int, topk: int, nnz: int) -> None:
        super().__init__()
        self.n_items = n_items
        # Set by fit (not stored in the artifact: the manifest's metrics): the per-user cap (0:
        # none) and the share of the kept movies' ratings that entered the Gram.
        self.user_cap, self.gram_share = 0, 1.0
        self.register_buffer("kept", torch.zeros(n_kept, dtype=torch.long))
        self.register_buffer("position", torch.full((n_items,), -1, dtype=torch.long))
        self.register_buffer("neighbours", torch.zeros(n_kept, topk, dtype=torch.int32))
        self.register_buffer("weights", torch.zeros(n_kept, topk))
        self.register_buffer("row_ptr", torch.zeros(n_kept + 1, dtype=torch.long))
        self.register_buffer("row_targets", torch.zeros(nnz, dtype=torch.int32))
        self.register_buffer("row_weights", torch.zeros(nnz))
        self.register_buffer("popularity", torch.zeros(n_items))
        # (kept, SIMILAR_LIST) positions, -1 padded: the movies most often liked (>= 4 stars) by
        # the users who liked this one, most first (bench/ml/similar.py: the best similar list).
        self.register_buffer("co_liked", torch.full((n_kept, 0), -1, dtype=torch.int32))
        self.register_buffer("blend", torch.zeros(()))
        self.register_buffer("alpha", torch.zeros(()))
        self.register_buffer("beta", torch.tensor(0.1))

    @classmethod
    def from_state(cls, state: dict[str, torch.Tensor]) -> SparseEASE:
        """An instance holding `state`'s own tensors (no copy: mapped tensors stay mapped)."""
        n_kept, topk = state["neighbours"].shape
        model = cls(
            n_items=state["position"].numel(),
            n_kept=n_kept,
            topk=topk,
            nnz=state["row_targets"].numel(),
        )
        state = dict(state)
        state.setdefault("co_liked", model.co_liked)  # artifacts from before the list
        model.co_liked = torch.empty_like(state["co_liked"])
        model.load_state_dict(state, assign=True)
        return model

    # ---- training ------------------------------------------------------------------------

    @classmethod
    def fit(
        cls,
        *,
        users: torch.Tensor,
        items: torch.Tensor,
        n_items: int,
        min_support: int,
        ratings: torch.Tensor | None = None,
        lam: float,
        dropout: float,
        topk: int,
        select_power: float = 0.5,
        pair_budget: int = PAIR_BUDGET,
        max_pairs: int = 0,
        row_cap: int = 0,
        seed: int = 0,
        world: tuple[int, int] = (0, 1),
        all_reduce: Any = None,
    ) -> SparseEASE:
        """users, items: one (distinct) rating per entry, as dense indices; `ratings`, their
        stars, give the co-liked lists (none without). `max_pairs` > 0 bounds the co-rating
        pairs of every Gram walk: users with more ratings than the cap it implies
        (`user_cap`) enter the Gram with a seeded random `user_cap` of them (kept in
        `model.user_cap`; 0: nobody was capped). Popularity counts every rating. `row_cap` > 0
        keeps, for scoring, each rated movie's `row_cap` largest weights (by magnitude; the
        column form the correction reads keeps them all)."""
        counts = torch.bincount(items, minlength=n_items)
        kept = torch.nonzero(counts >= min_support).flatten()
        m = len(kept)
        position = torch.full((n_items,), -1, dtype=torch.long)
        position[kept] = torch.arange(m)
        k = max(1, min(topk, m - 1))
        sel = position[items] >= 0
        cap = user_cap(users[sel], max_pairs) if max_pairs > 0 else 0
        n_kept_ratings = int(sel.sum())
        if cap:
            sel = torch.nonzero(sel).flatten()
            sel = sel[capped_ratings(users[sel], cap, seed=seed)]
        gram_share = len(users[sel]) / max(n_kept_ratings, 1)
        walker = _Walker(
            users[sel],
            position[items[sel]],
            m,
            pair_budget=pair_budget,
            world=world,
            all_reduce=all_reduce,
        )
        diag, nbr, rhs = _neighbour_pass(walker, k, select_power)
        # Each rank solves its own share of the movies (its neighbourhood Grams only: the largest
        # buffer of training, m * k^2 floats, divided by the ranks); the shares are then summed.
        lo, hi = _share(m, world)
        grams = _neighbourhood_grams(walker, nbr[lo:hi])
        del walker
        weights = torch.zeros(m, k)
        weights[lo:hi] = _solve_pass(diag, nbr[lo:hi], rhs[lo:hi], grams, lam=lam, dropout=dropout)
        del grams
        weights = _summed(weights, world, all_reduce)  # the other ranks' rows are zeros here
        model = cls(n_items=n_items, n_kept=m, topk=k, nnz=0)
        model.user_cap, model.gram_share = cap, gram_share
        if ratings is not None and m > 1:
            model.co_liked = _co_liked(
                users[sel],
                position[items[sel]],
                ratings[sel] >= LIKED,
                m,
                pair_budget,
                world,
                all_reduce,
            )
        model.kept = kept
        model.position = position
        model.neighbours = nbr.to(torch.int32)
        model.weights = weights
        model.popularity = counts.to(torch.float32)
        model._build_rows(row_cap)
        return model

    def _build_rows(self, row_cap: int = 0) -> None:
        m, k = self.neighbours.shape
        src = self.neighbours.reshape(-1).long()
        tgt = torch.arange(m, dtype=torch.int32).repeat_interleave(k)
        val = self.weights.reshape(-1)
        keep = val != 0
        src, tgt, val = src[keep], tgt[keep], val[keep]
        if row_cap > 0:
            # Within each source row, largest magnitude first; keep the first `row_cap`.
            by_size = torch.argsort(val.abs(), descending=True, stable=True)
            by_row = by_size[torch.argsort(src[by_size], stable=True)]
            counts = torch.bincount(src, minlength=m)
            rank = torch.arange(len(by_row)) - (torch.cumsum(counts, 0) - counts)[src[by_row]]
            kept_entries = torch.sort(by_row[rank < row_cap]).values  # back in column order
            src, tgt, val = src[kept_entries], tgt[kept_entries], val[kept_entries]
        order = torch.argsort(src, stable=True)
        self.row_targets = tgt[order].contiguous()
        self.row_weights = val[order].contiguous()
        ptr = torch.zeros(m + 1, dtype=torch.long)
        ptr[1:] = torch.cumsum(torch.bincount(src, minlength=m), 0)
        self.row_ptr = ptr

    # ---- serving ---------------------------------------------------------------------------

    def score(self, items: torch.Tensor) -> torch.Tensor:
        """x_u B over all items for the rated `items` (items outside the kept set get -inf).
        The rated rows are gathered out of the CSR copy in one index (popular movies' rows are
        long: up to `row_cap` entries), in row order, and summed into the kept movies."""
        pos = self.position[items]
        pos = pos[pos >= 0]
        if len(pos) == 0:
            return self.popularity.clone()
        starts = self.row_ptr[pos]
        lengths = self.row_ptr[pos + 1] - starts
        # The rows' entries, in row order: entry e of the joined rows sits at e + (its row's
        # start - the row's offset in the join).
        shift = starts - (torch.cumsum(lengths, 0) - lengths)
        entries = torch.arange(int(lengths.sum())) + torch.repeat_interleave(shift, lengths)
        kept_scores = torch.zeros(len(self.kept))
        kept_scores.index_add_(0, self.row_targets[entries], self.row_weights[entries])
        if len(self.kept) == self.n_items:  # every movie kept: positions are the items
            return kept_scores
        out = torch.full((self.n_items,), float("-inf"))
        out[self.kept] = kept_scores
        return out

    def correction(
        self, items: torch.Tensor, residuals: torch.Tensor, targets: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Neighbour correction (stars) of `targets` (default: every item) from one user's
        residuals on rated `items`: alpha * sum_j B+[j,i] e_j / (sum_j B+[j,i] x_j + beta)."""
        targets = torch.arange(self.n_items) if targets is None else targets
        out = torch.zeros(len(targets))
        pos = self.position[items]
        known = pos >= 0
        if not bool(known.any()) or float(self.alpha) == 0.0:
            return out
        m = len(self.kept)
        e, x = torch.zeros(m + 1), torch.zeros(m + 1)  # slot m: "not rated"
        e[pos[known]] = residuals[known]
        x[pos[known]] = 1.0
        tpos = self.position[targets]
        has = tpos >= 0
        nbr = self.neighbours[tpos[has]].long()
        w = self.weights[tpos[has]].clamp(min=0)
        num = (e[nbr] * w).sum(1)
        den = (x[nbr] * w).sum(1) + self.beta
        out[has] = self.alpha * num / den
        return out

    def co_liked_items(self, item: int) -> list[int]:
        """Item indices most often liked by `item`'s fans, most first, never `item`; [] outside
        the kept set or for a model trained without stars."""
        pos = int(self.position[item])
        if pos < 0 or self.co_liked.shape[1] == 0:
            return []
        row = self.co_liked[pos]
        return [int(self.kept[p]) for p in row[row >= 0].tolist()]

    def item_neighbours(self, item: int, k: int) -> list[tuple[int, float]]:
        """The movies whose ratings best predict `item` (item index, weight), largest weight
        first, never `item` itself; [] outside the kept set."""
        pos = int(self.position[item])
        if pos < 0:
            return []
        w = self.weights[pos]
        order = torch.argsort(w, descending=True, stable=True)
        out: list[tuple[int, float]] = []
        for p in order.tolist():
            if float(w[p]) <= 0.0 or len(out) >= k:
                break
            j = int(self.kept[int(self.neighbours[pos, p])])
            if j != item:
                out.append((j, float(w[p])))
        return out

    def contributions(self, items: torch.Tensor, target: int) -> torch.Tensor:
        """B[j, target] for each rated item j in `items` (0 where j is not a neighbour): the
        terms of target's ranking score, which sum to score(items)[target]."""
        out = torch.zeros(len(items))
        tpos = int(self.position[target])
        if tpos < 0:
            return out
        pos = self.position[items]
        nbr, w = self.neighbours[tpos].long(), self.weights[tpos]
        match = (pos[:, None] == nbr[None, :]) & (pos[:, None] >= 0)
        return (match.to(w.dtype) * w[None, :]).sum(1)


def user_cap(users: torch.Tensor, max_pairs: int) -> int:
    """The largest per-user rating cap C with sum_u min(n_u, C)^2 <= max_pairs (the co-rating
    pairs of one Gram walk), or 0 when the uncapped pairs already fit."""
    n = torch.bincount(users).double() if len(users) else torch.zeros(1, dtype=torch.float64)
    if float((n * n).sum()) <= max_pairs:
        return 0
    lo, hi = 1, int(n.max())  # pairs(lo) <= max_pairs < pairs(hi) unless lo fails too
    while hi - lo > 1:
        mid = (lo + hi) // 2
        c = n.clamp(max=mid)
        if float((c * c).sum()) <= max_pairs:
            lo = mid
        else:
            hi = mid
    return lo


def capped_ratings(users: torch.Tensor, cap: int, *, seed: int) -> torch.Tensor:
    """Indices (ascending) of the ratings kept under a per-user cap: all of a user's ratings up
    to `cap`, else a uniform random `cap` of them, the same for the same `seed`."""
    gen = torch.Generator().manual_seed(seed)
    order = torch.randperm(len(users), generator=gen)
    order = order[torch.argsort(users[order], stable=True)]  # by user, random within a user
    per_user = torch.bincount(users)
    first = torch.cumsum(per_user, 0) - per_user
    rank = torch.arange(len(users)) - first[users[order]]
    return torch.sort(order[rank < cap]).values


def _summed(t: torch.Tensor, world: tuple[int, int], all_reduce: Any) -> torch.Tensor:
    """`t` summed over the ranks (itself in one process, or without an `all_reduce`)."""
    return all_reduce(t) if all_reduce is not None and world[1] > 1 else t


class _Walker:
    """Blocks of Gram rows G[lo:hi, :] = X[:, lo:hi]^T X from the ratings, within a pair budget."""

    def __init__(
        self,
        users: torch.Tensor,
        cols: torch.Tensor,
        m: int,
        *,
        pair_budget: int,
        world: tuple[int, int],
        all_reduce: Any,
    ) -> None:
        rank, size = world
        if size > 1:  # each rank enumerates its users' pairs; the blocks are summed
            mine = (users % size) == rank
            users, cols = users[mine], cols[mine]
        self.m, self.size, self.all_reduce = m, size, all_reduce
        by_user = torch.argsort(users * m + cols)
        u_sorted, self.c_by_user = users[by_user], cols[by_user]
        n_users = int(users.max()) + 1 if len(users) else 1
        per_user = torch.bincount(u_sorted, minlength=n_users)
        self.user_ptr = torch.zeros(n_users + 1, dtype=torch.long)
        self.user_ptr[1:] = torch.cumsum(per_user, 0)
        by_col = torch.argsort(cols * n_users + users)
        self.col_users = users[by_col]
        self.col_ptr = torch.zeros(m + 1, dtype=torch.long)
        self.col_ptr[1:] = torch.cumsum(torch.bincount(cols, minlength=m), 0)
        pairs = torch.zeros(m, dtype=torch.long).index_add_(0, cols, per_user[users])
        self.counts = torch.bincount(cols, minlength=m).to(torch.float32)
        if size > 1:
            pairs, self.counts = self._reduce(pairs), self._reduce(self.counts)
        self.dense: torch.Tensor | None = None
        if m * m * 4 <= DENSE_GRAM_BYTES:
            self.dense = self._reduce(_dense_gram(u_sorted, self.c_by_user, m))
        elif m < 2**31:
            self.c_by_user = self.c_by_user.to(torch.int32)  # half the reads of every walk
        cum = torch.cumsum(pairs, 0)
        self.bounds = [0]
        while self.bounds[-1] < m:
            lo = self.bounds[-1]
            base = int(cum[lo - 1]) if lo else 0
            hi = int(torch.searchsorted(cum, torch.tensor(base + pair_budget), right=True))
            self.bounds.append(min(max(hi, lo + 1), lo + MAX_BLOCK, m))

    def _reduce(self, t: torch.Tensor) -> torch.Tensor:
        return _summed(t, (0, self.size), self.all_reduce)

    def blocks(self) -> Iterator[tuple[int, int, torch.Tensor]]:
        """The blocks in order. Enumerated blocks are built one ahead on a second thread (torch
        releases the GIL), so building the next block overlaps the caller's work on this one."""
        pairs = list(itertools.pairwise(self.bounds))
        if self.dense is not None:
            for lo, hi in pairs:
                yield lo, hi, self.dense[lo:hi].clone()  # callers may write into their block
            return

        def build(bounds: tuple[int, int]) -> torch.Tensor:
            lo, hi = bounds
            return _block_gram(
                lo, hi, self.m, self.col_ptr, self.col_users, self.user_ptr, self.c_by_user
            )

        with ThreadPoolExecutor(max_workers=1) as pool:
            ahead = [pool.submit(build, b) for b in pairs[:1]]
            for i, (lo, hi) in enumerate(pairs):
                gram = ahead.pop().result()
                if i + 1 < len(pairs):
                    ahead.append(pool.submit(build, pairs[i + 1]))
                yield lo, hi, self._reduce(gram)


def _neighbour_pass(
    walker: _Walker, k: int, select_power: float
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per movie: G_jj, its k neighbours (largest G_ij / G_jj^power, never itself), G to them."""
    m = walker.m
    diag = torch.zeros(m)
    nbr = torch.zeros(m, k, dtype=torch.long)
    rhs = torch.zeros(m, k)
    scale = walker.counts.clamp(min=1) ** select_power
    for lo, hi, gram in walker.blocks():
        rows = torch.arange(hi - lo)
        diag[lo:hi] = gram[rows, rows + lo]
        sel = gram / scale if select_power else gram.clone()
        sel[rows, rows + lo] = -1.0
        _, i = torch.topk(sel, k, dim=1)
        nbr[lo:hi] = i
        rhs[lo:hi] = torch.gather(gram, 1, i)
    return diag, nbr, rhs


def _co_liked(
    users: torch.Tensor,
    cols: torch.Tensor,
    liked: torch.Tensor,
    m: int,
    pair_budget: int,
    world: tuple[int, int],
    all_reduce: Any,
) -> torch.Tensor:
    """Per kept movie, the SIMILAR_LIST movies with the largest co-like counts (users who rated
    both >= LIKED), from a Gram walk over the liked ratings only; -1 where fewer were co-liked."""
    walker = _Walker(
        users[liked], cols[liked], m, pair_budget=pair_budget, world=world, all_reduce=all_reduce
    )
    k = min(SIMILAR_LIST, m - 1)
    out = torch.full((m, k), -1, dtype=torch.int32)
    for lo, hi, gram in walker.blocks():
        rows = torch.arange(hi - lo)
        gram[rows, rows + lo] = -1.0
        values, idx = torch.topk(gram, k, dim=1, sorted=True)
        out[lo:hi] = torch.where(values > 0, idx, -1).to(torch.int32)
    return out


def _share(m: int, world: tuple[int, int]) -> tuple[int, int]:
    """The contiguous range of the m movies whose columns this rank solves."""
    rank, size = world
    return rank * m // size, (rank + 1) * m // size


def _neighbourhood_grams(walker: _Walker, nbr: torch.Tensor, chunk: int = 65_536) -> torch.Tensor:
    """G[N_j, N_j] for each movie j whose neighbours are a row of `nbr` (all movies, or one
    rank's share), exactly: a second walk over the Gram rows, each row a copied into the slots
    (j, p) where a is j's p-th neighbour. (len(nbr), k, k) float32."""
    m = walker.m
    k = nbr.shape[1]
    out = torch.zeros(len(nbr), k, k)
    flat = nbr.reshape(-1)
    order = torch.argsort(flat, stable=True)  # (j, p) slots grouped by the neighbour a
    ptr = torch.zeros(m + 1, dtype=torch.long)
    ptr[1:] = torch.cumsum(torch.bincount(flat, minlength=m), 0)
    for lo, hi, gram in walker.blocks():
        for start in range(int(ptr[lo]), int(ptr[hi]), chunk):
            slots = order[start : min(start + chunk, int(ptr[hi]))]
            j, p = slots // k, slots % k
            out[j, p] = gram[(flat[slots] - lo)[:, None], nbr[j]]
    return out


def _dense_gram(users: torch.Tensor, cols: torch.Tensor, m: int) -> torch.Tensor:
    """X^T X (m x m float32, exact counts) from user-sorted ratings, by chunks of users: a CSR
    X_chunk^T times the dense X_chunk, cost nnz x m."""
    gram = torch.zeros(m, m)
    if len(users) == 0:
        return gram
    n_users = int(users[-1]) + 1
    bounds = torch.searchsorted(users, torch.arange(0, n_users + USER_CHUNK, USER_CHUNK))
    for c in range(len(bounds) - 1):
        lo, hi = int(bounds[c]), int(bounds[c + 1])
        if lo == hi:
            continue
        rows, cs = users[lo:hi] - c * USER_CHUNK, cols[lo:hi]
        block = torch.zeros(USER_CHUNK, m)
        block[rows, cs] = 1.0
        sparse_t = torch.sparse_coo_tensor(
            torch.stack([cs, rows]), torch.ones(hi - lo), (m, USER_CHUNK), check_invariants=False
        )
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")
            gram += sparse_t.to_sparse_csr() @ block
    return gram


def _block_gram(
    lo: int,
    hi: int,
    m: int,
    col_ptr: torch.Tensor,
    col_users: torch.Tensor,
    user_ptr: torch.Tensor,
    c_by_user: torch.Tensor,
) -> torch.Tensor:
    """G[lo:hi, :] = X[:, lo:hi]^T X as a dense float32 (hi - lo, m) block: for each rating
    (user u, movie a) in the block, +1 at (a, every movie u rated). The per-pair values are
    repeated out directly (no gathers through a pair -> rating index), int32 where they fit."""
    start, end = int(col_ptr[lo]), int(col_ptr[hi])
    out = torch.zeros((hi - lo) * m)
    block_users = col_users[start:end]
    lens = user_ptr[block_users + 1] - user_ptr[block_users]
    total = int(lens.sum())
    if total == 0:
        return out.view(hi - lo, m)
    small = (hi - lo) * m < 2**31 and len(c_by_user) < 2**31
    dtype = torch.int32 if small else torch.long
    local = torch.repeat_interleave(
        torch.arange(hi - lo, dtype=dtype) * m, col_ptr[lo + 1 : hi + 1] - col_ptr[lo:hi]
    )
    offsets = torch.cumsum(lens, 0) - lens
    # c_by_user[user_ptr[u] + t] for t < lens: arange over the pairs shifted by a per-entry delta.
    delta = (user_ptr[block_users] - offsets).to(dtype)
    src = torch.arange(total, dtype=dtype)
    src += torch.repeat_interleave(delta, lens, output_size=total)
    key = c_by_user[src]
    del src
    if key.dtype != dtype:
        key = key.to(dtype)
    key += torch.repeat_interleave(local, lens, output_size=total)
    out.index_add_(0, key, torch.ones(1).expand(total))
    return out.view(hi - lo, m)


def _solve_pass(
    diag: torch.Tensor,
    nbr: torch.Tensor,
    rhs: torch.Tensor,
    grams: torch.Tensor,
    *,
    lam: float,
    dropout: float,
    block: int = 1024,
) -> torch.Tensor:
    """Per movie j: (G_NN + diag(lam + p/(1-p) G_aa)) b = G_Nj over its neighbours N (float64)."""
    m, k = nbr.shape
    weights = torch.zeros(m, k)
    penalty = (lam + dropout / (1.0 - dropout) * diag.double())[nbr]  # (m, k)
    for lo in range(0, m, block):
        hi = min(lo + block, m)
        a = grams[lo:hi].double()
        a.diagonal(dim1=1, dim2=2).add_(penalty[lo:hi])
        chol, _ = torch.linalg.cholesky_ex(a)  # G_NN + penalty is positive definite
        sol = torch.cholesky_solve(rhs[lo:hi].double()[:, :, None], chol)[:, :, 0]
        weights[lo:hi] = sol.to(torch.float32)
    return weights


def neighbour_numbers(
    ranker: SparseEASE,
    *,
    fit_users: torch.Tensor,
    fit_items: torch.Tensor,
    residuals: torch.Tensor,
    query_users: torch.Tensor,
    query_items: torch.Tensor,
    chunk: int = 200_000,
) -> tuple[torch.Tensor, torch.Tensor]:
    """For each query rating (u, i): sum_j B+[j,i] e_uj and sum_j B+[j,i] over u's rated j,
    by key lookups in the sorted fit ratings (linear in queries * topk)."""
    n_items = ranker.n_items
    keys = fit_users * n_items + fit_items
    order = torch.argsort(keys)
    keys, res = keys[order], residuals[order]
    num, den = torch.zeros(len(query_users)), torch.zeros(len(query_users))
    for lo in range(0, len(query_users), chunk):
        qu, qi = query_users[lo : lo + chunk], query_items[lo : lo + chunk]
        tpos = ranker.position[qi]
        has = tpos >= 0
        idx = torch.nonzero(has).flatten()
        nbr_items = ranker.kept[ranker.neighbours[tpos[has]].long()]  # (q, k) item indices
        w = ranker.weights[tpos[has]].clamp(min=0)
        want = qu[has][:, None] * n_items + nbr_items
        at = torch.searchsorted(keys, want).clamp(max=max(len(keys) - 1, 0))
        found = (keys[at] == want) & (w > 0)
        wf = w * found
        num[lo + idx] = (torch.where(found, res[at], 0.0) * wf).sum(1)
        den[lo + idx] = wf.sum(1)
    return num, den
