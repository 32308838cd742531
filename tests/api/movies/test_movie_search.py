import pytest

from tests.factories import MovieFactory, RatingFactory

pytestmark = pytest.mark.django_db


def _titles(response) -> list[str]:
    return [m["title"] for m in response.json()]


def test_exact_then_prefix_then_contains(auth_client):
    MovieFactory(title="The Matrix Reloaded")
    MovieFactory(title="Matrix")
    MovieFactory(title="Matrix Revolutions")
    MovieFactory(title="Inception")

    response = auth_client.get("/api/movie/search/?title=matrix")

    assert response.status_code == 200
    assert response["X-Total-Count"] == "3"
    assert _titles(response) == ["Matrix", "Matrix Revolutions", "The Matrix Reloaded"]


def test_more_rated_movie_wins_a_tie(auth_client):
    MovieFactory(title="Alien Nation")
    popular = MovieFactory(title="Alien Resurrection")
    RatingFactory(movie=popular)
    assert _titles(auth_client.get("/api/movie/search/?title=alien")) == [
        "Alien Resurrection",
        "Alien Nation",
    ]


@pytest.mark.parametrize("query", ["amelie", "AMÉLIE", "Amélie", "  amélie "])
def test_accents_and_case_are_ignored(auth_client, query):
    movie = MovieFactory(title="Amélie")
    response = auth_client.get("/api/movie/search/", {"title": query})
    assert [m["id"] for m in response.json()] == [movie.id]


def test_post_with_title_in_body(auth_client):
    MovieFactory(title="Heat")
    response = auth_client.post("/api/movie/search/", {"title": "heat"}, format="json")
    assert response.status_code == 200
    assert _titles(response) == ["Heat"]


def test_post_with_title_in_query_string(auth_client):
    MovieFactory(title="Heat")
    response = auth_client.post("/api/movie/search?title=hea")
    assert _titles(response) == ["Heat"]


def test_result_shape(auth_client):
    movie = MovieFactory(title="Up", poster_path="/up.jpg", runtime=96)
    assert auth_client.get("/api/movie/search/?title=up").json() == [
        {
            "id": movie.id,
            "title": "Up",
            "poster_url": "https://image.tmdb.org/t/p/w500/up.jpg",
            "overview": "A film.",
            "release_date": "2000-01-01",
            "runtime": 96,
            "adult": False,
        }
    ]


def test_no_match_is_an_empty_list(auth_client):
    response = auth_client.get("/api/movie/search/?title=zzzz")
    assert response.status_code == 200
    assert response.json() == []
    assert response["X-Total-Count"] == "0"


def test_like_wildcards_are_literal(auth_client):
    MovieFactory(title="100% Love")
    MovieFactory(title="Love Actually")
    assert _titles(auth_client.get("/api/movie/search/", {"title": "%"})) == ["100% Love"]
    assert _titles(auth_client.get("/api/movie/search/", {"title": "_"})) == []


def test_search_paginates(auth_client):
    for i in range(5):
        MovieFactory(title=f"Saw {i}")
    response = auth_client.get("/api/movie/search/?title=saw&limit=2&offset=4")
    assert response["X-Total-Count"] == "5"
    assert _titles(response) == ["Saw 4"]


@pytest.mark.parametrize(
    "url", ["/api/movie/search/", "/api/movie/search/?title=", "/api/movie/search/?title=%20%20"]
)
def test_missing_or_blank_title_is_400(auth_client, url):
    response = auth_client.get(url)
    assert response.status_code == 400
    assert "title" in response.json()


@pytest.mark.parametrize("body", [{}, {"title": " "}, {"title": ["x"]}, {"title": None}])
def test_post_missing_or_blank_title_is_400(auth_client, body):
    response = auth_client.post("/api/movie/search/", body, format="json")
    assert response.status_code == 400


NO_VISIBLE_CHARACTER = ["Must contain more than accents, spaces or invisible characters."]


@pytest.mark.parametrize(
    "query",
    [
        "%CC%81",  # a combining acute accent: search ignores accents, so it matched everything
        "%CC%81%CC%88%CC%A7",  # several combining marks
        "%20%CC%81%20",  # marks between spaces
        "%E2%80%8B",  # zero-width space
        "%EF%B8%8F",  # a variation selector
        "%E2%80%AE%E2%81%A6",  # bidirectional controls
        "%EF%BB%BF%CD%8F",  # byte order mark, combining grapheme joiner
    ],
)
def test_title_of_only_marks_or_invisible_characters_is_400(auth_client, query):
    MovieFactory(title="Amélie")
    MovieFactory(title="Heat")

    for response in (
        auth_client.get(f"/api/movie/search/?title={query}"),
        auth_client.post(f"/api/movie/search/?title={query}"),
    ):
        assert response.status_code == 400
        assert response.json() == {"title": NO_VISIBLE_CHARACTER}


def test_posted_title_of_only_marks_is_400(auth_client):
    MovieFactory(title="Amélie")
    response = auth_client.post("/api/movie/search/", {"title": "\u0301\u0308"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"title": NO_VISIBLE_CHARACTER}


@pytest.mark.parametrize("query", ["e%CC%81", "%EF%BC%A8eat", "!", "%E2%98%85"])
def test_marks_with_a_visible_character_still_search(auth_client, query):
    """A letter with its accent as a combining mark, full-width letters, punctuation, symbols."""
    MovieFactory(title="Heat")
    response = auth_client.get(f"/api/movie/search/?title={query}")
    assert response.status_code == 200


def test_search_anonymous_401(api_client):
    assert api_client.get("/api/movie/search/?title=x").status_code == 401


@pytest.mark.parametrize("rows", [1, 5])
def test_search_query_count_is_constant(auth_client, django_assert_num_queries, rows):
    for i in range(rows):
        MovieFactory(title=f"Rocky {i}")
    with django_assert_num_queries(2):  # the page with its total, the movies' summaries
        response = auth_client.get("/api/movie/search/?title=rocky")
    assert len(response.json()) == rows
