"""Rating model (biased MF with an SVD++-style item-based context) and ranking model (EDLAE/EASE)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class MatrixFactorization(nn.Module):
    """Explicit-feedback MF: mu + b_u + b_i + (p_u + c_u) . q_i.

    c_u is an item-based context computed from the user's rated set (SVD++ implicit term y_j plus an
    asymmetric-SVD residual term x_j weighted by the user's baseline residual on j), so a new user's
    vector is partly given for free by what they rated; p_u and b_u are folded in by a regularised
    least-squares solve against the fixed movie factors (`fold_in`).
    """

    def __init__(
        self,
        *,
        n_users: int,
        n_items: int,
        dim: int = 64,
        context: bool = True,
        init_std: float = 0.01,
        seed: int = 0,
    ) -> None:
        super().__init__()
        gen = torch.Generator().manual_seed(seed)
        self.n_users, self.n_items, self.dim, self.context = (
            n_users,
            n_items,
            dim,
            context,
        )
        self.user_factors = nn.Parameter(
            torch.randn(n_users, dim, generator=gen) * init_std
        )
        self.item_factors = nn.Parameter(
            torch.randn(n_items, dim, generator=gen) * init_std
        )
        n_ctx = n_items if context else 0
        self.context_factors = nn.Parameter(
            torch.randn(2 * n_ctx, dim, generator=gen) * init_std
        )
        self.user_bias = nn.Parameter(torch.zeros(n_users))
        self.item_bias = nn.Parameter(torch.zeros(n_items))
        self.register_buffer("global_mean", torch.zeros(()))
        # Baseline used only to centre ratings for the residual context (fixed, not trained).
        self.register_buffer("base_item_bias", torch.zeros(n_items))
        self.register_buffer("base_user_reg", torch.tensor(10.0))
        # Regularisation strengths per rating occurrence (used by fold_in: lambda * n_u).
        self.register_buffer("reg", torch.tensor(0.05))
        self.register_buffer("reg_bias", torch.tensor(0.005))

    def user_context(self, design: torch.Tensor) -> torch.Tensor:
        """design: sparse (users x 2*items) [1/sqrt(n_u) | residual/sqrt(n_u)]."""
        if not self.context:
            return torch.zeros(design.shape[0], self.dim)
        return torch.sparse.mm(design, self.context_factors)

    def forward(
        self,
        users: torch.Tensor,
        items: torch.Tensor,
        context: torch.Tensor | None = None,
    ) -> torch.Tensor:
        vec = F.embedding(users, self.user_factors)
        if context is not None:
            vec = vec + F.embedding(users, context)
        dot = (vec * F.embedding(items, self.item_factors)).sum(-1)
        biases = F.embedding(users, self.user_bias[:, None]) + F.embedding(
            items, self.item_bias[:, None]
        )
        return self.global_mean + biases.squeeze(-1) + dot

    def baseline_residuals(
        self, items: torch.Tensor, ratings: torch.Tensor
    ) -> torch.Tensor:
        base = ratings - self.global_mean - self.base_item_bias[items]
        user_offset = base.sum() / (len(base) + self.base_user_reg)
        return base - user_offset

    @torch.no_grad()
    def fold_in(
        self, items: torch.Tensor, ratings: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """User bias and full user vector (p_u + c_u) for one user from (item index, stars)."""
        n = len(items)
        if n == 0:
            return torch.zeros(()), torch.zeros(self.dim)
        scale = 1.0 / float(n) ** 0.5
        ctx = torch.zeros(self.dim)
        if self.context:
            resid = self.baseline_residuals(items, ratings)
            ctx = scale * (
                self.context_factors[items].sum(0)
                + resid @ self.context_factors[self.n_items + items]
            )
        q = self.item_factors[items]
        target = ratings - self.global_mean - self.item_bias[items] - q @ ctx
        design = torch.cat([torch.ones(n, 1), q], dim=1)
        penalty = torch.full((self.dim + 1,), float(self.reg) * n)
        penalty[0] = float(self.reg_bias) * n
        gram = design.T @ design + torch.diag(penalty)
        sol = torch.linalg.solve(gram, design.T @ target)
        return sol[0], sol[1:] + ctx

    def predict_items(
        self,
        user_bias: torch.Tensor,
        user_vec: torch.Tensor,
        items: torch.Tensor | None = None,
    ) -> torch.Tensor:
        if items is None:
            return (
                self.global_mean
                + user_bias
                + self.item_bias
                + self.item_factors @ user_vec
            )
        return (
            self.global_mean
            + user_bias
            + self.item_bias[items]
            + self.item_factors[items] @ user_vec
        )


class EASE(nn.Module):
    """Linear item-item ranking model (EASE with EDLAE's dropout-style diagonal penalty).

    B = I - P diag(1/diag(P)), P = (X^T X + lambda I + p/(1-p) diag(X^T X))^-1, restricted to the
    movies with at least `min_support` training ratings. Scores for a user are x_u B: folding in a
    user is summing the rows of B for the movies they rated.
    """

    def __init__(self, *, n_items: int, n_kept: int) -> None:
        super().__init__()
        self.n_items = n_items
        self.register_buffer("kept", torch.zeros(n_kept, dtype=torch.long))
        self.register_buffer("position", torch.full((n_items,), -1, dtype=torch.long))
        self.register_buffer("weights", torch.zeros(n_kept, n_kept))
        self.register_buffer("popularity", torch.zeros(n_items))
        # Weight of the rating model's predicted stars added to the ranking scores at serving time.
        self.register_buffer("blend", torch.zeros(()))

    @classmethod
    def fit(
        cls,
        *,
        gram: torch.Tensor,
        counts: torch.Tensor,
        lam: float,
        dropout: float,
        min_support: int,
    ) -> EASE:
        """gram: dense (items x items) X^T X of the binary user-item matrix (all items)."""
        n_items = gram.shape[0]
        kept = torch.nonzero(counts >= min_support).flatten()
        g = gram[kept][:, kept].to(torch.float64)
        diag = torch.diagonal(g).clone()
        penalty = lam + dropout / (1.0 - dropout) * diag
        g.diagonal().add_(penalty)
        p = torch.linalg.inv(g)
        b = -p / torch.diagonal(p)
        b.diagonal().zero_()
        model = cls(n_items=n_items, n_kept=len(kept))
        model.kept.copy_(kept)
        model.position[kept] = torch.arange(len(kept))
        model.weights.copy_(b.to(torch.float32))
        model.popularity.copy_(counts.to(torch.float32))
        return model

    def score(
        self, items: torch.Tensor, weights: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Scores over all items (items outside the kept set get -inf)."""
        out = torch.full((self.n_items,), float("-inf"))
        pos = self.position[items]
        pos = pos[pos >= 0]
        if len(pos) == 0:
            # Nothing usable rated: popularity order.
            return self.popularity.clone()
        rows = self.weights[pos]
        if weights is not None:
            w = weights[self.position[items] >= 0]
            scores = w @ rows
        else:
            scores = rows.sum(0)
        out[self.kept] = scores
        return out
