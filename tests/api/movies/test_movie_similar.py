import pytest

from movies.models import Movie
from movies.selectors import movie_similar_content_based
from tests.factories import (
    GenreFactory,
    KeywordFactory,
    MovieFactory,
    PersonFactory,
    RatingFactory,
    absent_pk,
)

pytestmark = pytest.mark.django_db


def test_shared_director_and_cast_rank_above_shared_genre(auth_client):
    drama, space = GenreFactory(name="Drama"), GenreFactory(name="Space")
    nolan, actor = PersonFactory(name="Christopher Nolan"), PersonFactory(name="Michael Caine")
    movie = MovieFactory(
        title="Interstellar",
        genres=[drama, space],
        directors=[nolan],
        cast=[actor],
        keywords=[KeywordFactory(name="wormhole")],
    )
    same_director = MovieFactory(title="Inception", directors=[nolan], genres=[drama])
    same_actor = MovieFactory(title="The Prestige", cast=[actor])
    same_keyword = MovieFactory(title="Contact", keywords=[KeywordFactory(name="wormhole")])
    same_genre = MovieFactory(title="Gravity", genres=[space])
    unrelated = MovieFactory(title="Unrelated")

    response = auth_client.get(f"/api/movie/{movie.id}/similar/")

    assert response.status_code == 200
    ids = [m["id"] for m in response.json()]
    assert ids[:4] == [same_director.id, same_actor.id, same_keyword.id, same_genre.id]
    assert movie.id not in ids
    assert unrelated.id not in ids  # nothing in common and unrated: not even popular
    assert set(response.json()[0]) == {
        "id",
        "title",
        "poster_url",
        "overview",
        "release_date",
        "runtime",
        "adult",
    }


def test_ties_go_to_the_more_rated_movie(db):
    genre = GenreFactory()
    movie = MovieFactory(genres=[genre])
    quiet = MovieFactory(genres=[genre])
    loud = MovieFactory(genres=[genre])
    RatingFactory(movie=loud)
    assert movie_similar_content_based(movie=movie, limit=2) == [loud, quiet]


def test_at_most_ten_and_padded_with_popular_movies(auth_client):
    genre = GenreFactory()
    movie = MovieFactory(genres=[genre])
    MovieFactory.create_batch(12, genres=[genre])
    assert len(auth_client.get(f"/api/movie/{movie.id}/similar/").json()) == 10

    lonely = MovieFactory()
    popular = MovieFactory()
    RatingFactory(movie=popular)
    RatingFactory(movie=lonely)
    ids = [m["id"] for m in auth_client.get(f"/api/movie/{lonely.id}/similar/").json()]
    assert ids == [popular.id]


def test_similar_unknown_movie_404(auth_client):
    response = auth_client.get(f"/api/movie/{absent_pk(Movie)}/similar/")
    assert response.status_code == 404
    assert response.json() == {"message": "Movie not found"}


def test_similar_anonymous_401(api_client):
    assert api_client.get(f"/api/movie/{MovieFactory().id}/similar/").status_code == 401


@pytest.mark.parametrize("rows", [1, 5])
def test_similar_query_count_is_constant(auth_client, django_assert_num_queries, rows):
    genre, director = GenreFactory(), PersonFactory()
    movie = MovieFactory(genres=[genre], directors=[director], cast=[PersonFactory()])
    for _ in range(rows):
        MovieFactory(genres=[genre], directors=[director])
    # First request in this process: the movie's summary, the movie, 4 feature queries, the
    # ranked movies, (fewer than 10) popular padding: 2, the padding's summaries. Materialised
    # after that (movies/catalogue.py): no query at all.
    with django_assert_num_queries(10):
        response = auth_client.get(f"/api/movie/{movie.id}/similar/")
    assert len(response.json()) == rows
    with django_assert_num_queries(0):
        assert auth_client.get(f"/api/movie/{movie.id}/similar/").json() == response.json()
