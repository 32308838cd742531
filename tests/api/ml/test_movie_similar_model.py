import pytest

from movies.selectors import movie_similar_content_based
from tests.factories import MovieFactory

pytestmark = pytest.mark.django_db


def _ids(response) -> list[int]:
    assert response.status_code == 200
    return [movie["id"] for movie in response.json()]


def test_known_movie_gets_model_neighbours_never_itself(tiny_model, planted, auth_client):
    movie = planted.action[0]

    ids = _ids(auth_client.get(f"/api/movie/{movie.id}/similar/"))

    assert len(ids) == 10
    assert movie.id not in ids
    # the planted taste groups: neighbours in item space are mostly the same group
    assert sum(i in {m.id for m in planted.action} for i in ids) >= 8


def test_movie_unknown_to_the_model_falls_back_to_content(tiny_model, planted, auth_client):
    newcomer = MovieFactory(genres=list(planted.action[0].genres.all()))
    expected = [m.id for m in movie_similar_content_based(movie=newcomer, limit=10)]

    ids = _ids(auth_client.get(f"/api/movie/{newcomer.id}/similar"))

    assert ids == expected
    assert newcomer.id not in ids
