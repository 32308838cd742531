"""End to end in a real browser: headless Chromium (Debian's) driven by Playwright.

A page served from another origin (http.server on its own port, like the web client on port
3000) talks to a live daphne server: sign-up, login with `credentials: 'include'`, profile, a
rating, then a WebSocket (the browser sends the cookie on the handshake) that receives a
comment posted by another user over REST. This proves cookies, CORS and the WebSocket handshake
work the way a browser enforces them, not only the way the test client sends them. A page from
an untrusted origin gets none of it: it cannot read the profile, its cookie-authenticated POST
is refused with 403 and its WebSocket is rejected.
"""

import http.server
import os
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from movies.models import Comment
from tests.factories import PASSWORD, MovieFactory, UserFactory
from tests.realtime.live import LiveServer, start_live_server, stop_live_server

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(60)]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 10_000
PAGE = b"<!doctype html><meta charset=utf-8><title>MovieConnect test page</title><p>ready</p>"


class _PageHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def page_origins() -> Iterator[tuple[str, str]]:
    """Two static page servers: (trusted origin, untrusted origin)."""
    servers = [http.server.ThreadingHTTPServer(("127.0.0.1", 0), _PageHandler) for _ in range(2)]
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in servers]
    for thread in threads:
        thread.start()
    try:
        yield tuple(f"http://127.0.0.1:{s.server_address[1]}" for s in servers)  # type: ignore[misc]
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()


@pytest.fixture(scope="module")
def api_server(django_db_setup, django_db_blocker, page_origins) -> Iterator[LiveServer]:
    trusted, _untrusted = page_origins
    process, server = start_live_server(
        extra_env={"TRUSTED_ORIGINS": trusted}, drop_env=("DJANGO_ALLOW_ASYNC_UNSAFE",)
    )
    try:
        yield server
    finally:
        stop_live_server(process)


@pytest.fixture(scope="module")
def browser_context() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (Debian package `chromium`; CI installs it)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running on this thread, which Django takes for
    # async code; the test's ORM calls (factories, flush) are plain synchronous code.
    unsafe = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with tempfile.TemporaryDirectory(prefix="mc-chromium-") as profile, sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            profile, executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        context.set_default_timeout(TIMEOUT_MS)
        try:
            yield context
        finally:
            context.close()
            if unsafe is None:
                os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
            else:
                os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = unsafe


# The page's own script: everything below runs in the browser, on the page's origin.
SIGN_UP_AND_SUBSCRIBE = """
async ({api, ws, movieId, password}) => {
  const call = async (method, path, body) => {
    const init = {method, credentials: 'include', headers: {}};
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const response = await fetch(api + path, init);
    return {status: response.status, body: await response.json().catch(() => null)};
  };
  const out = {};
  out.signup = await call('POST', '/api/user/signup/', {
    username: 'carol', email: 'carol@example.com', password, birth_date: '1991-02-03'});
  out.logout = await call('POST', '/api/user/logout/');
  out.profileAfterLogout = await call('GET', '/api/user/profile/');
  out.login = await call('POST', '/api/token/', {username: 'carol', password});
  out.profile = await call('GET', '/api/user/profile/');
  out.rate = await call('POST', `/api/movie/${movieId}/rate/`, {rating: 4.5});
  out.movie = await call('GET', `/api/movie/${movieId}/`);
  out.documentCookie = document.cookie;  // HttpOnly cookies of another origin: invisible here

  window.frames_ = [];
  const socket = new WebSocket(ws);
  window.socket_ = socket;
  socket.onmessage = (event) => window.frames_.push(JSON.parse(event.data));
  socket.onclose = (event) => window.frames_.push({type: 'closed', code: event.code});
  const waitFor = (type) => new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = () => {
      const frame = window.frames_.find((f) => f.type === type || f.type === 'closed');
      if (frame) return resolve(frame);
      if (Date.now() - started > 8000) return reject(new Error('no ' + type + ' frame'));
      setTimeout(poll, 20);
    };
    poll();
  });
  out.hello = await waitFor('hello');
  socket.send(JSON.stringify({action: 'subscribe', stream: 'movie', movie_id: movieId}));
  out.subscribed = await waitFor('subscribed');
  return out;
}
"""

UNTRUSTED_ATTEMPTS = """
async ({api, ws, movieId}) => {
  const out = {};
  try {
    const response = await fetch(api + '/api/user/profile/', {credentials: 'include'});
    out.profile = {status: response.status, body: await response.text()};
  } catch (error) {
    out.profile = {error: String(error)};
  }
  // A "simple" cross-site POST (no preflight): the browser sends it with the cookie, but the
  // page may not read the answer; the server must refuse it.
  try {
    await fetch(api + `/api/movie/${movieId}/comment/`, {
      method: 'POST', credentials: 'include', mode: 'no-cors',
      headers: {'Content-Type': 'application/x-www-form-urlencoded'}, body: 'body=forged'});
    out.post = 'sent';
  } catch (error) {
    out.post = String(error);
  }
  out.socket = await new Promise((resolve) => {
    const socket = new WebSocket(ws);
    const events = [];
    socket.onopen = () => events.push('open');
    socket.onmessage = (event) => events.push(JSON.parse(event.data).type);
    socket.onerror = () => events.push('error');
    socket.onclose = (event) => resolve({events, code: event.code});
    setTimeout(() => resolve({events, code: 'still open'}), 8000);
  });
  return out;
}
"""


def test_browser_session_over_cors_cookies_and_websocket(api_server, page_origins, browser_context):
    trusted, untrusted = page_origins
    movie = MovieFactory(title="Heat")
    bob = UserFactory(username="bob", email="bob@example.com")
    page = browser_context.new_page()
    page.goto(f"{trusted}/")

    out = page.evaluate(
        SIGN_UP_AND_SUBSCRIBE,
        {"api": api_server.url, "ws": api_server.ws_url, "movieId": movie.id, "password": PASSWORD},
    )

    assert out["signup"]["status"] == 201, out["signup"]
    assert out["logout"]["status"] == 200
    assert out["profileAfterLogout"]["status"] == 401
    assert out["login"]["status"] == 201, out["login"]
    assert out["profile"] == {
        "status": 200,
        "body": {
            "id": out["profile"]["body"]["id"],
            "username": "carol",
            "email": "carol@example.com",
            "birth_date": "1991-02-03",
            "is_private": False,
            "bio": "",
        },
    }
    assert out["rate"]["status"] == 201, out["rate"]
    assert out["rate"]["body"]["data"]["rating"] == 4.5
    assert out["movie"]["body"]["rated"] == 4.5
    assert out["documentCookie"] == ""
    assert out["hello"]["data"]["user"] == {"id": out["profile"]["body"]["id"], "username": "carol"}
    assert out["subscribed"]["data"] == {"stream": "movie", "movie_id": movie.id}

    # Another user comments over REST; the page's socket receives it live.
    login = requests.post(
        f"{api_server.url}/api/token/", json={"username": "bob", "password": PASSWORD}, timeout=10
    )
    assert login.status_code == 201
    posted = requests.post(
        f"{api_server.url}/api/movie/{movie.id}/comment/",
        json={"body": "Seen it twice."},
        cookies=login.cookies,
        timeout=10,
    )
    assert posted.status_code == 201
    page.wait_for_function(
        "() => window.frames_.some((f) => f.type === 'comment.created')", timeout=TIMEOUT_MS
    )
    event = page.evaluate("() => window.frames_.find((f) => f.type === 'comment.created')")
    assert event["data"] == {
        "movie_id": movie.id,
        "comment": {**posted.json()["data"], "username": "bob"},
    }
    assert list(bob.comments.values_list("body", flat=True)) == ["Seen it twice."]

    # A page from an origin that is not trusted, in the same browser (carol's cookies included).
    statuses: dict[str, int] = {}
    evil = browser_context.new_page()
    evil.on(
        "response",
        lambda response: statuses.setdefault(
            f"{response.request.method} {response.url.split('?')[0]}", response.status
        ),
    )
    evil.goto(f"{untrusted}/")
    attempts = evil.evaluate(
        UNTRUSTED_ATTEMPTS, {"api": api_server.url, "ws": api_server.ws_url, "movieId": movie.id}
    )

    assert "Failed to fetch" in attempts["profile"].get("error", ""), attempts["profile"]
    assert attempts["post"] == "sent"
    assert statuses[f"POST {api_server.url}/api/movie/{movie.id}/comment/"] == 403
    assert not Comment.objects.filter(body="forged").exists()
    assert "open" not in attempts["socket"]["events"], attempts["socket"]
    assert attempts["socket"]["code"] == 1006
    page.close()
    evil.close()
