import io
import json
from decimal import Decimal

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from ml import dataset, loader
from ml.dataset import ratings_export
from ml.deployment import HISTORY, POINTER, deploy, deployed_version
from ml.loader import get_recommender, model_version
from movies.models import Rating
from tests.conftest import TINY_TRAINING
from tests.factories import RatingFactory, UserFactory
from tests.mlserving.waiting import wait_until

pytestmark = pytest.mark.django_db

# Deliberately bad: one epoch leaves the factors at their initial noise, no neighbour correction.
WORSE = ["--set=epochs=1", "--set=resid_alpha=0"]


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("train_recommender", *TINY_TRAINING, *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_ratings_export_has_the_training_columns(planted):
    rating = RatingFactory(user=UserFactory(), movie=planted.action[-1], value=Decimal("3.5"))
    frame = ratings_export()
    assert list(frame.columns) == ["userId", "movieId", "rating", "timestamp"]
    assert len(frame) == 40 * 15 + 1
    row = frame[(frame.userId == rating.user_id) & (frame.movieId == rating.movie_id)].iloc[0]
    assert row.rating == np.float32(3.5)
    assert row.timestamp == int(rating.timestamp.timestamp())


def test_ratings_export_streams_in_chunks_with_progress(planted, monkeypatch):
    monkeypatch.setattr(dataset, "EXPORT_CHUNK", 100)
    calls = []
    frame = ratings_export(progress=lambda done, total: calls.append((done, total)))
    assert calls == [(100, 600), (200, 600), (300, 600), (400, 600), (500, 600), (600, 600)]
    expected = sorted(Rating.objects.values_list("user_id", "movie_id"))
    assert sorted(zip(frame.userId.tolist(), frame.movieId.tolist(), strict=True)) == expected
    assert frame.dtypes.tolist() == [np.int64, np.int64, np.float32, np.int64]


def test_ratings_export_keeps_rows_added_after_its_count(planted, monkeypatch):
    """A rating written between the count and the end of the stream is exported too, with the
    same columns and types as the rest."""
    monkeypatch.setattr(dataset, "EXPORT_CHUNK", 100)
    manager = type(Rating.objects)
    counted = Rating.objects.count()
    monkeypatch.setattr(manager, "count", lambda self: counted - 150)
    frame = ratings_export()
    expected = sorted(Rating.objects.values_list("user_id", "movie_id", "value"))
    got = zip(frame.userId.tolist(), frame.movieId.tolist(), frame.rating.tolist(), strict=True)
    assert sorted(got) == [(u, m, float(v)) for u, m, v in expected]
    assert frame.dtypes.tolist() == [np.int64, np.int64, np.float32, np.int64]
    assert frame.timestamp.between(10**9, 2 * 10**9).all()


def test_train_recommender_reports_export_progress(planted, model_dir, monkeypatch):
    monkeypatch.setattr(dataset, "EXPORT_CHUNK", 250)
    err = io.StringIO()
    call_command(
        "train_recommender", *TINY_TRAINING, "--verbosity=2", stdout=io.StringIO(), stderr=err
    )
    assert err.getvalue().splitlines()[:3] == [
        "exported 250 of 600 ratings",
        "exported 500 of 600 ratings",
        "exported 600 of 600 ratings",
    ]


def test_if_missing_trains_only_when_nothing_is_deployed(planted, model_dir):
    assert deployed_version(model_dir) is None
    assert "Deployed" in _run("--if-missing")
    first = deployed_version(model_dir)
    assert first is not None
    assert (model_dir / first / "manifest.json").exists()

    assert "nothing to do" in _run("--if-missing")
    assert deployed_version(model_dir) == first
    assert sorted(p.name for p in model_dir.iterdir()) == sorted([HISTORY, POINTER, first])


def test_gate_refuses_a_worse_model_and_force_deploys_it(planted, model_dir):
    _run()
    good = deployed_version(model_dir)

    with pytest.raises(CommandError, match="Not deployed: RMSE"):
        _run(*WORSE)
    assert deployed_version(model_dir) == good

    output = _run(*WORSE, "--force")
    assert "Deploying anyway (--force)" in output
    forced = deployed_version(model_dir)
    assert forced not in (None, good)


def test_a_model_not_worse_is_deployed(planted, model_dir):
    _run()
    first = deployed_version(model_dir)
    output = _run()  # same data, same settings: equal scores are "not worse"
    assert "Candidate on the holdout" in output
    assert deployed_version(model_dir) not in (None, first)


def test_max_rmse_refuses(planted, model_dir):
    with pytest.raises(CommandError, match="above --max-rmse"):
        _run("--max-rmse=0.01")
    assert deployed_version(model_dir) is None


def test_bad_set_option_is_an_error(planted, model_dir):
    with pytest.raises(CommandError, match="TrainConfig field"):
        _run("--set=nonsense=1")
    with pytest.raises(CommandError, match="--set"):
        _run("--set=epochs=many")


def test_no_ratings_is_an_error(db, model_dir):
    with pytest.raises(CommandError, match="Too few ratings"):
        _run()


def test_the_reloader_switches_versions_without_requests(planted, model_dir, settings):
    settings.ML_RELOAD_SECONDS = 0.05
    _run()
    first = deployed_version(model_dir)
    loaded = get_recommender()
    assert loaded.version == first
    assert model_version() == first

    _run("--force")
    second = deployed_version(model_dir)
    # No get_recommender() call: the reloader thread checks the pointer on its own schedule.
    wait_until(lambda: model_version() == second)
    assert get_recommender().version == second
    assert get_recommender() is not loaded


def test_requests_never_wait_for_a_scheduled_reload(planted, model_dir, settings, monkeypatch):
    settings.ML_RELOAD_SECONDS = 3600  # the schedule's next tick is an hour away
    now = [1000.0]
    monkeypatch.setattr(loader, "_clock", lambda: now[0])
    _run()
    loaded = get_recommender()
    _run("--force")
    now[0] += 7200  # overdue, but the reloader owns the check: requests take what is loaded
    assert get_recommender() is loaded
    assert model_version() == loaded.version  # health says what this process serves


def test_pointer_is_replaced_atomically(model_dir):
    (model_dir / "v1").mkdir(parents=True)
    (model_dir / "v2").mkdir()
    deploy(model_dir, "v1")
    deploy(model_dir, "v2")
    assert (model_dir / POINTER).read_text() == "v2\n"
    assert sorted(p.name for p in model_dir.iterdir()) == sorted([HISTORY, POINTER, "v1", "v2"])
    with pytest.raises(FileNotFoundError):
        deploy(model_dir, "missing")
    assert deployed_version(model_dir) == "v2"


def test_a_broken_artifact_keeps_the_loaded_model(planted, model_dir):
    _run()
    first = deployed_version(model_dir)
    assert get_recommender().version == first
    (model_dir / "broken").mkdir()
    deploy(model_dir, "broken")
    assert get_recommender().version == first  # logged, still serving the last good model


def test_deployment_pushes_to_recently_active_users(
    planted, model_dir, layer_listener, django_capture_on_commit_callbacks
):
    fan = planted.users[0]
    layer_listener.join(f"user.{fan.id}")
    args = [a for a in TINY_TRAINING if a != "--no-notify"]

    with django_capture_on_commit_callbacks(execute=True):
        call_command("train_recommender", *args, stdout=io.StringIO())

    events = layer_listener.drain(f"user.{fan.id}")
    assert [m["event"] for m in events] == ["recommendations.updated"]
    assert events[0]["data"]["model_version"] == deployed_version(model_dir)
    assert len(events[0]["data"]["movies"]) == 20


def test_if_missing_on_an_empty_database_is_not_an_error(db, model_dir):
    assert "No model deployed" in _run("--if-missing")
    assert deployed_version(model_dir) is None


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("--set=dim=0", "dim must be at least 1"),
        ("--set=refit=maybe", "refit must be true or false"),
        ("--set=val_fraction=0", "val_fraction must be between 0 and 1"),
        ("--set=epochs=0", "epochs must be at least 1"),
        ("--holdout=0", "holdout fraction"),
    ],
)
def test_bad_options_exit_2_with_one_line(planted, model_dir, option, message):
    with pytest.raises(CommandError, match=message) as raised:
        _run(option)
    assert raised.value.returncode == 2
    assert deployed_version(model_dir) is None


def test_dry_run_saves_the_candidate_undeployed_for_promoting_later(planted, model_dir):
    from ml.registry import main as registry_main

    _run()
    first = deployed_version(model_dir)
    output = _run("--dry-run", *WORSE)
    assert "Dry run: saved" in output
    assert "the gate would refuse it: RMSE" in output
    assert deployed_version(model_dir) == first
    (candidate,) = {p.name for p in model_dir.iterdir() if p.is_dir()} - {first}
    manifest = json.loads((model_dir / candidate / "manifest.json").read_text())
    assert set(manifest["served"]["holdout"]) >= {"rmse", "ndcg@10"}
    assert manifest["training_data"]["excludes_holdout"]["fraction"] == 0.1

    assert registry_main(["--models", str(model_dir), "promote", candidate, "--force"]) == 0
    assert deployed_version(model_dir) == candidate
    assert registry_main(["--models", str(model_dir), "rollback"]) == 0
    assert deployed_version(model_dir) == first
