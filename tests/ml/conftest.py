"""Tiny synthetic ratings with planted structure: two user groups that like two movie groups."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ml.train import TrainConfig, TrainResult, train

N_USERS, N_MOVIES = 60, 40
GROUP_A = list(range(1000, 1000 + N_MOVIES // 2))  # external movie ids
GROUP_B = list(range(1000 + N_MOVIES // 2, 1000 + N_MOVIES))


def planted_ratings(seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for user in range(1, N_USERS + 1):
        likes, dislikes = (GROUP_A, GROUP_B) if user % 2 else (GROUP_B, GROUP_A)
        for movie in rng.choice(likes, size=12, replace=False):
            rows.append((user, int(movie), float(rng.choice([4.0, 4.5, 5.0])), 1000 + len(rows)))
        for movie in rng.choice(dislikes, size=3, replace=False):
            rows.append((user, int(movie), float(rng.choice([1.0, 1.5, 2.0])), 1000 + len(rows)))
    return pd.DataFrame(rows, columns=["userId", "movieId", "rating", "timestamp"])


SMALL = TrainConfig(
    dim=8,
    epochs=60,
    lr=0.05,
    reg=0.02,
    patience=100,
    ease_lambda=5.0,
    ease_min_support=1,
    seed=7,
)


@pytest.fixture(scope="session")
def ratings() -> pd.DataFrame:
    return planted_ratings()


@pytest.fixture(scope="session")
def trained(ratings: pd.DataFrame) -> TrainResult:
    return train(ratings, SMALL)


@pytest.fixture(scope="session")
def group_a() -> list[int]:
    return GROUP_A


@pytest.fixture(scope="session")
def group_b() -> list[int]:
    return GROUP_B


@pytest.fixture(scope="session")
def small_config() -> TrainConfig:
    return SMALL
