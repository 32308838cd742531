"""A small client for the live TMDb API (v3): rate limited, retrying 429 (honouring
Retry-After) and 5xx with exponential backoff, and turning a movie into the same record shape
as the JSON Lines dump (movies.imports.tmdb_metadata_apply reads both).
"""

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import requests

logger = logging.getLogger(__name__)

MAX_CAST = 10
MOVIE_PARAMS = {"append_to_response": "credits,keywords"}  # one request per movie


class TmdbError(Exception):
    """The movie could not be fetched (after retries) or the answer was not usable."""


class TmdbClient:
    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        requests_per_second: float = 20.0,
        max_retries: int = 4,
        backoff_seconds: float = 1.0,
        max_wait_seconds: float = 60.0,
        timeout_seconds: float = 10.0,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.interval = 1.0 / requests_per_second if requests_per_second > 0 else 0.0
        self.max_retries = max_retries
        self.backoff_seconds = backoff_seconds
        self.max_wait_seconds = max_wait_seconds
        self.timeout_seconds = timeout_seconds
        self.session = session or requests.Session()
        self.sleep = sleep
        self._next_slot = 0.0
        self._lock = threading.Lock()

    def _auth(self) -> tuple[dict[str, str], dict[str, str]]:
        """v4 read tokens (JWTs) go in a Bearer header, v3 keys in the query string."""
        if self.api_key.startswith("eyJ"):
            return {"Authorization": f"Bearer {self.api_key}"}, {}
        return {}, {"api_key": self.api_key}

    def _wait_for_slot(self) -> None:
        with self._lock:
            now = time.monotonic()
            wait = self._next_slot - now
            self._next_slot = max(now, self._next_slot) + self.interval
        if wait > 0:
            self.sleep(wait)

    def _retry_after(self, response: requests.Response, attempt: int) -> float:
        header = response.headers.get("Retry-After", "")
        try:
            seconds = float(header)
        except ValueError:
            seconds = self.backoff_seconds * 2**attempt
        return min(max(seconds, 0.0), self.max_wait_seconds)

    def request_for(
        self, path: str, params: dict[str, str] | None = None
    ) -> tuple[str, dict[str, str], dict[str, str]]:
        """(url, query parameters, headers) of the GET for `path`, credentials included."""
        headers, auth_params = self._auth()
        return f"{self.base_url}/{path.lstrip('/')}", {**auth_params, **(params or {})}, headers

    def get_json(self, path: str, params: dict[str, str] | None = None) -> dict[str, Any] | None:
        """GET a JSON object; None for 404. Raises TmdbError when retries run out."""
        url, query, headers = self.request_for(path, params)
        for attempt in range(self.max_retries + 1):
            self._wait_for_slot()
            try:
                response = self.session.get(
                    url, params=query, headers=headers, timeout=self.timeout_seconds
                )
            except requests.RequestException as exc:
                problem = f"network error: {exc.__class__.__name__}"
                wait = self.backoff_seconds * 2**attempt
            else:
                if response.status_code == 404:
                    return None
                if response.status_code == 429:
                    problem, wait = "429 Too Many Requests", self._retry_after(response, attempt)
                elif response.status_code >= 500:
                    problem, wait = f"{response.status_code}", self.backoff_seconds * 2**attempt
                elif response.status_code != 200:
                    raise TmdbError(f"{url}: HTTP {response.status_code}")
                else:
                    try:
                        body = response.json()
                    except ValueError as exc:
                        raise TmdbError(f"{url}: malformed JSON") from exc
                    if not isinstance(body, dict):
                        raise TmdbError(f"{url}: expected a JSON object")
                    return body
            if attempt < self.max_retries:
                logger.info("TMDb %s; retrying in %.1f s", problem, wait)
                self.sleep(min(wait, self.max_wait_seconds))
        raise TmdbError(f"{url}: gave up after {self.max_retries + 1} attempts ({problem})")

    @staticmethod
    def movie_path(tmdb_id: int) -> str:
        """The API path of one movie (queried with MOVIE_PARAMS)."""
        return f"movie/{int(tmdb_id)}"

    def movie_record(self, tmdb_id: int) -> dict[str, Any] | None:
        """The movie as a dump-shaped record, or None when TMDb does not know it."""
        body = self.get_json(self.movie_path(tmdb_id), MOVIE_PARAMS)
        if body is None:
            return None
        return record_from_api(body)


def _named(items: Any) -> list[str]:
    if not isinstance(items, list):
        return []
    return [i["name"] for i in items if isinstance(i, dict) and isinstance(i.get("name"), str)]


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _billing_order(credit: dict[str, Any]) -> int:
    order = credit.get("order")
    return order if isinstance(order, int) else 10**6


def record_from_api(body: dict[str, Any]) -> dict[str, Any]:
    credits = _object(body.get("credits"))
    cast = [c for c in credits.get("cast") or [] if isinstance(c, dict)]
    cast.sort(key=_billing_order)
    crew = [c for c in credits.get("crew") or [] if isinstance(c, dict)]
    keywords = _object(body.get("keywords"))
    return {
        "tmdb_id": body.get("id"),
        "imdb_id": body.get("imdb_id"),
        "title": body.get("title"),
        "overview": body.get("overview"),
        "poster_path": body.get("poster_path"),
        "runtime": body.get("runtime"),
        "adult": body.get("adult"),
        "release_date": body.get("release_date"),
        "genres": _named(body.get("genres")),
        "cast": _named(cast)[:MAX_CAST],
        "directors": _named([c for c in crew if c.get("job") == "Director"]),
        "keywords": _named(keywords.get("keywords")),
    }
