"""The read endpoints bench/http measures, one line each: (name, path, who asks).

`who`: "cold" is a signed-in user with 3 ratings (the cold-start list), "personal" one with 30
(the model's list); None is anonymous. New read endpoints add one line here.
"""

FLOOR = ("unknown path (404, anonymous)", "/api/no-such-path/", None)

ENDPOINTS = [
    ("GET /api/health/", "/api/health/", None),
    ("GET /api/movie/1/", "/api/movie/1/", "cold"),
    ("GET /api/movie/1/comments/", "/api/movie/1/comments/", "cold"),
    ("GET /api/movies/popular/", "/api/movies/popular/", "cold"),
    ("GET /api/movie/1/similar/", "/api/movie/1/similar/", "cold"),
    ("GET /api/movie/search/?title=star", "/api/movie/search/?title=star", "cold"),
    ("GET /api/user/movies/ (cold start)", "/api/user/movies/", "cold"),
    ("GET /api/user/movies/ (personal)", "/api/user/movies/", "personal"),
    ("GET /api/user/movies/rated/", "/api/user/movies/rated/", "personal"),
    ("GET /api/movies/watch/", "/api/movies/watch/", "personal"),
    ("GET /api/user/profile/", "/api/user/profile/", "personal"),
    ("GET /api/friends/", "/api/friends/", "personal"),
    ("GET /api/friend-requests/incoming/", "/api/friend-requests/incoming/", "personal"),
    ("GET /api/user/search/?username=bench", "/api/user/search/?username=bench", "personal"),
]
