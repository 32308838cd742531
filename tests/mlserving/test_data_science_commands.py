"""build_datasets and print_user_recs on the planted catalogue (40 users, two tastes)."""

import io
import json
from decimal import Decimal

import pandas as pd
import pytest
from django.core.management import CommandError, call_command

from ml.data import load_ratings
from ml.dataset import ratings_export
from ml.deployment import Holdout
from ml.registry import main as registry_main
from tests.factories import RatingFactory, UserFactory

pytestmark = pytest.mark.django_db


def _call(name: str, *args: str) -> str:
    out = io.StringIO()
    call_command(name, *args, stdout=out)
    return out.getvalue()


def test_build_datasets_exports_the_ratings_with_the_gates_holdout_marked(planted, tmp_path):
    out = tmp_path / "ratings.csv.gz"
    movies = tmp_path / "movies.csv"
    output = _call("build_datasets", "--out", str(out), "--movies", str(movies))
    frame = pd.read_csv(out)
    assert list(frame.columns) == ["userId", "movieId", "rating", "timestamp", "holdout"]
    assert len(frame) == 40 * 15
    # The same ratings the trainer exports, and exactly the gate's holdout marked.
    exported = ratings_export()
    pd.testing.assert_frame_equal(
        load_ratings(out).sort_values(["userId", "movieId"]).reset_index(drop=True),
        exported.sort_values(["userId", "movieId"]).reset_index(drop=True),
    )
    _, held = Holdout().split(exported)
    marked = frame[frame.holdout == 1]
    assert set(zip(marked.userId, marked.movieId, strict=True)) == set(
        zip(held.userId, held.movieId, strict=True)
    )
    assert f"{len(held):,} in the gate's holdout" in output
    catalogue = pd.read_csv(movies)
    assert len(catalogue) == 40
    first = catalogue.set_index("movieId").loc[planted.action[0].pk]
    assert (first.title, first.genres) == ("Action 0", "Action")


def test_build_datasets_refuses_other_formats(db, tmp_path):
    with pytest.raises(CommandError, match=r"expected a \.csv or \.csv\.gz name"):
        _call("build_datasets", "--out", str(tmp_path / "ratings.parquet"))
    with pytest.raises(CommandError, match="holdout fraction"):
        _call("build_datasets", "--out", str(tmp_path / "r.csv"), "--holdout", "1.5")


def test_the_exported_file_drives_the_registry_without_django(
    planted, tiny_model, tmp_path, capsys
):
    out = tmp_path / "ratings.csv"
    _call("build_datasets", "--out", str(out))
    from django.conf import settings

    code = registry_main(
        [
            "--models",
            str(settings.ML_MODEL_DIR),
            "compare",
            tiny_model,
            tiny_model,
            "--ratings",
            str(out),
            "--json",
        ]
    )
    assert code == 0
    scores = json.loads(capsys.readouterr().out)[tiny_model]
    assert scores["leaked"] is False  # the deployed model never trained on the marked rows
    assert 0 < scores["rmse"] < 2


def test_print_user_recs_gives_predicted_stars_and_reasons(planted, tiny_model):
    action_fan = planted.users[0]
    report = json.loads(_call("print_user_recs", str(action_fan.pk), "--limit", "5", "--json"))
    assert report["model_version"] == tiny_model
    assert report["n_ratings"] == 15
    recs = report["recommendations"]
    assert len(recs) == 5
    action_ids = {m.pk for m in planted.action}
    rated = dict(action_fan.ratings.values_list("movie_id", "value"))
    for rec in recs:
        assert rec["movie_id"] not in rated
        assert rec["movie_id"] in action_ids  # the planted taste
        assert 3.0 < rec["stars"] <= 5.0
        (because,) = rec["because"]
        assert because["movie_id"] in action_ids
        assert because["stars"] == float(rated[because["movie_id"]])
    text = _call("print_user_recs", action_fan.username, "--limit", "3", "--reasons", "2")
    lines = text.splitlines()
    assert (
        lines[0] == f"user {action_fan.pk} ({action_fan.username}): 15 ratings; model {tiny_model}"
    )
    assert lines[1].startswith(f"  1. {recs[0]['title']} (id {recs[0]['movie_id']})  predicted ")
    assert "because you rated Action" in lines[1]
    assert lines[1].count("; ") == 1  # two reasons


def test_print_user_recs_explains_a_cold_start_list(planted, tiny_model):
    newcomer = UserFactory()
    RatingFactory(user=newcomer, movie=planted.romance[0], value=Decimal("5.0"))
    lines = _call("print_user_recs", str(newcomer.pk), "--limit", "3").splitlines()
    assert "cold-start list (fewer than ML_MIN_RATINGS=5 ratings the model knows" in lines[0]
    assert "boosted in the genres you liked" in lines[0]
    assert len(lines) == 4
    assert "  average " in lines[1]
    assert "because" not in "".join(lines)


def test_print_user_recs_without_a_model_and_bad_options(planted, model_dir):
    user = planted.users[1]
    assert "cold-start list (no model deployed; " in _call("print_user_recs", str(user.pk))
    with pytest.raises(CommandError, match="--limit must be between 1 and 100"):
        _call("print_user_recs", str(user.pk), "--limit", "0")
    with pytest.raises(CommandError, match="no user with id or username"):
        _call("print_user_recs", "999999")
