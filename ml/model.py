"""Rating model (biased MF), ranking model (EASE/EDLAE), and the neighbour correction."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class MatrixFactorization(nn.Module):
    """Explicit-feedback MF: mu + b_u + b_i + p_u . q_i.

    Trained with per-rating-occurrence L2 penalties (`reg` on factors, `reg_bias` on biases), so a
    user's optimum given the movie factors is the ridge solve in `fold_in` (penalty lambda * n_u):
    serving folds users in from their current ratings instead of storing trained user vectors.
    """

    def __init__(
        self,
        *,
        n_users: int,
        n_items: int,
        dim: int = 64,
        init_std: float = 0.01,
        seed: int = 0,
    ) -> None:
        super().__init__()
        gen = torch.Generator().manual_seed(seed)
        self.n_users, self.n_items, self.dim = n_users, n_items, dim
        self.user_factors = nn.Parameter(torch.randn(n_users, dim, generator=gen) * init_std)
        self.item_factors = nn.Parameter(torch.randn(n_items, dim, generator=gen) * init_std)
        self.user_bias = nn.Parameter(torch.zeros(n_users))
        self.item_bias = nn.Parameter(torch.zeros(n_items))
        self.register_buffer("global_mean", torch.zeros(()))
        self.register_buffer("reg", torch.tensor(0.1))
        self.register_buffer("reg_bias", torch.tensor(0.005))

    def forward(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        dot = (F.embedding(users, self.user_factors) * F.embedding(items, self.item_factors)).sum(
            -1
        )
        biases = F.embedding(users, self.user_bias[:, None]) + F.embedding(
            items, self.item_bias[:, None]
        )
        return self.global_mean + biases.squeeze(-1) + dot

    @torch.no_grad()
    def fold_in(
        self, items: torch.Tensor, ratings: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """User bias and vector from (item index, stars): a (dim+1)-sized ridge solve."""
        n = len(items)
        if n == 0:
            return torch.zeros(()), torch.zeros(self.dim)
        q = self.item_factors[items]
        target = ratings - self.global_mean - self.item_bias[items]
        design = torch.cat([torch.ones(n, 1), q], dim=1)
        penalty = torch.full((self.dim + 1,), float(self.reg) * n)
        penalty[0] = float(self.reg_bias) * n
        gram = design.T @ design + torch.diag(penalty)
        sol = torch.linalg.solve(gram, design.T @ target)
        return sol[0], sol[1:]

    def predict_items(
        self,
        user_bias: torch.Tensor,
        user_vec: torch.Tensor,
        items: torch.Tensor | None = None,
    ) -> torch.Tensor:
        if items is None:
            return self.global_mean + user_bias + self.item_bias + self.item_factors @ user_vec
        bias = self.item_bias[items]
        return self.global_mean + user_bias + bias + self.item_factors[items] @ user_vec


class EASE(nn.Module):
    """Linear item-item ranking model (EASE with EDLAE's dropout-style diagonal penalty).

    B = I - P diag(1/diag(P)), P = (X^T X + lambda I + p/(1-p) diag(X^T X))^-1, restricted to the
    movies with at least `min_support` training ratings. Scores for a user are x_u B: folding in a
    user is summing the rows of B for the movies they rated.

    The positive part of B also serves as item-item neighbour weights for the rating model: the
    user's rating-model residuals on rated movies, averaged with weights B+[j, i], correct the
    predicted stars of movie i (`alpha`, `beta` below; alpha is fitted on the validation split).
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
        # Neighbour correction of predicted stars:
        # alpha * sum_j B+[j,i] e_j / (sum_j B+[j,i] + beta).
        self.register_buffer("alpha", torch.zeros(()))
        self.register_buffer("beta", torch.tensor(0.1))

    @classmethod
    def fit(
        cls,
        *,
        gram: torch.Tensor,
        kept: torch.Tensor,
        counts: torch.Tensor,
        lam: float,
        dropout: float,
    ) -> EASE:
        """gram: X^T X of the binary user-item matrix over the `kept` movies (dense, float32)."""
        n_items = len(counts)
        g = gram.clone()
        diag = torch.diagonal(g).clone()
        g.diagonal().add_(lam + dropout / (1.0 - dropout) * diag)
        p = torch.linalg.inv(g)
        b = -p / torch.diagonal(p)
        b.diagonal().zero_()
        model = cls(n_items=n_items, n_kept=len(kept))
        model.kept.copy_(kept)
        model.position[kept] = torch.arange(len(kept))
        model.weights.copy_(b)
        model.popularity.copy_(counts.to(torch.float32))
        return model

    def score(self, items: torch.Tensor) -> torch.Tensor:
        """Scores over all items (items outside the kept set get -inf)."""
        pos = self.position[items]
        pos = pos[pos >= 0]
        if len(pos) == 0:
            return self.popularity.clone()
        out = torch.full((self.n_items,), float("-inf"))
        out[self.kept] = self.weights[pos].sum(0)
        return out

    def correction(
        self, items: torch.Tensor, residuals: torch.Tensor, targets: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Neighbour correction (in stars) of `targets` (default: every item), from one user's
        residuals on `items`."""
        out = torch.zeros(self.n_items)
        pos = self.position[items]
        known = pos >= 0
        if bool(known.any()) and float(self.alpha) != 0.0:
            rows = self.weights[pos[known]].clamp(min=0)
            num = residuals[known] @ rows
            den = rows.sum(0) + self.beta
            out[self.kept] = self.alpha * num / den
        return out if targets is None else out[targets]

    def item_neighbours(self, item: int, k: int) -> list[tuple[int, float]]:
        """The movies whose ratings best predict `item` (item index, weight), largest first."""
        pos = int(self.position[item])
        if pos < 0:
            return []
        col = self.weights[:, pos]
        top = torch.topk(col, min(k + 1, len(col)))
        return [
            (int(self.kept[p]), float(v))
            for v, p in zip(top.values.tolist(), top.indices.tolist(), strict=True)
            if v > 0 and p != pos
        ][:k]

    def contributions(self, items: torch.Tensor, target: int) -> torch.Tensor:
        """B[j, target] for each rated item j (0 outside the kept set)."""
        tpos = int(self.position[target])
        pos = self.position[items]
        out = torch.zeros(len(items))
        if tpos >= 0:
            ok = pos >= 0
            out[ok] = self.weights[pos[ok], tpos]
        return out
