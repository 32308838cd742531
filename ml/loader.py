"""The web process's recommender: loaded lazily on first use, once per process, then shared.

`get_recommender()` never loads at import time or in AppConfig.ready(): the first call loads the
deployed version (under a lock: concurrent first requests load it once). From then on a reloader
thread re-reads the deployment pointer (`<ML_MODEL_DIR>/CURRENT`, a few bytes) every
`ML_RELOAD_SECONDS` seconds on its own schedule and loads a new version in the background, so a
worker switches within that interval without a restart, whether or not requests arrive, and
`/api/health/` reports the switch (requests never wait for a reload). With `ML_RELOAD_SECONDS = 0`
(tests) there is no thread: every call re-reads the pointer.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings

from ml.deployment import deployed_version

if TYPE_CHECKING:  # torch is imported with the first model, not with the URLconf
    from ml.recommender import Recommender

logger = logging.getLogger(__name__)

SERVING_THREADS = 1  # torch intra-op threads per web process: requests run in parallel instead

_clock = time.monotonic  # tests move it forward


@dataclass(frozen=True)
class _State:
    model_dir: str
    version: str | None  # what the pointer named at the last check
    recommender: Recommender | None
    checked_at: float


class _Reloader(threading.Thread):
    """Re-checks the pointer of one model directory every `interval` seconds until stopped."""

    def __init__(self, model_dir: str, interval: float) -> None:
        super().__init__(name="ml-reloader", daemon=True)
        self.model_dir = model_dir
        self.interval = interval
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.interval):
            try:
                _scheduled_check(self)
            except Exception:  # never let the schedule die: the next tick tries again
                logger.exception("Recommender reload check failed for %s", self.model_dir)

    def serves(self, model_dir: str) -> bool:
        return self.model_dir == model_dir and self.is_alive() and not self.stopped.is_set()


_lock = threading.Lock()
_state: _State | None = None
_reloader: _Reloader | None = None
_threads_configured = False


def _stale(state: _State | None, model_dir: str) -> bool:
    if state is None or state.model_dir != model_dir:
        return True
    return _clock() - state.checked_at >= float(settings.ML_RELOAD_SECONDS)


def _refresh(model_dir: str) -> _State:
    """Check the pointer now unless another thread just did."""
    with _lock:
        state = _state
        if not _stale(state, model_dir) and state is not None:
            return state  # another thread refreshed while we waited
        return _reload_locked(model_dir)


def _scheduled_check(reloader: _Reloader) -> None:
    with _lock:
        if reloader is _reloader and not reloader.stopped.is_set():  # else reset meanwhile
            _reload_locked(reloader.model_dir)


def _reload_locked(model_dir: str) -> _State:
    """Re-read the pointer; load the named artifact when it differs from the loaded one."""
    global _state, _threads_configured
    state = _state
    version = deployed_version(model_dir)
    recommender = state.recommender if state and state.model_dir == model_dir else None
    if version is None:
        recommender = None
    elif recommender is None or recommender.version != version:
        from ml.recommender import Recommender, configure_threads

        if not _threads_configured:
            configure_threads(SERVING_THREADS)
            _threads_configured = True
        try:
            started = _clock()
            recommender = Recommender.load(Path(model_dir) / version)
            logger.info("Loaded recommender %s in %.2f s", version, _clock() - started)
        except Exception:
            # A broken artifact must not take the site down: keep serving what we had (or
            # the cold-start lists) and say so loudly; the next check tries again.
            logger.exception("Could not load recommender %s from %s", version, model_dir)
    _state = _State(
        model_dir=model_dir, version=version, recommender=recommender, checked_at=_clock()
    )
    _start_reloader(model_dir)
    return _state


def _start_reloader(model_dir: str) -> None:
    """Put the pointer check on its own schedule, once per process and model directory."""
    global _reloader
    interval = float(settings.ML_RELOAD_SECONDS)
    if interval <= 0 or (_reloader is not None and _reloader.serves(model_dir)):
        return
    if _reloader is not None:
        _reloader.stopped.set()
    _reloader = _Reloader(model_dir, interval)
    _reloader.start()


def _current() -> _State:
    model_dir = str(settings.ML_MODEL_DIR)
    state = _state
    if state is None or state.model_dir != model_dir:
        return _refresh(model_dir)  # first use: load now
    reloader = _reloader
    if _stale(state, model_dir) and (reloader is None or not reloader.serves(model_dir)):
        return _refresh(model_dir)  # no schedule (ML_RELOAD_SECONDS = 0): check inline
    return state  # the reloader keeps it current


def get_recommender() -> Recommender | None:
    """The deployed model, or None when nothing is deployed (callers use the cold-start lists)."""
    return _current().recommender


_pointer_cache: tuple[str, str | None, float] | None = None  # (model_dir, version, checked_at)


def model_version() -> str | None:
    """The version this process serves, or else the deployed one (read from the pointer at most
    every ML_RELOAD_SECONDS): cheap enough for /api/health/, and never loads the model."""
    global _pointer_cache
    model_dir = str(settings.ML_MODEL_DIR)
    state = _state
    if state is not None and state.model_dir == model_dir and state.recommender is not None:
        return state.recommender.version
    cached = _pointer_cache
    if (
        cached is None
        or cached[0] != model_dir
        or _clock() - cached[2] >= float(settings.ML_RELOAD_SECONDS)
    ):
        cached = (model_dir, deployed_version(model_dir), _clock())
        _pointer_cache = cached
    return cached[1]


def health_report() -> dict[str, str | None]:
    """The /api/health/ field (registered on mcbackend.health.health_reporters)."""
    return {"model_version": model_version()}


def reset_recommender() -> None:
    """Forget the loaded model and stop the reloader (tests; the next call reads the pointer
    again)."""
    global _state, _pointer_cache, _reloader
    with _lock:
        if _reloader is not None:
            _reloader.stopped.set()
        _state = None
        _pointer_cache = None
        _reloader = None
