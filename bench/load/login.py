"""Log every load user in through the stack (POST /api/token/) and keep the Bearer tokens.

    python bench/load/login.py --host http://127.0.0.1:8180 --out bench/out/load

Standard library only (runs in the bench venv). The access token is read from the login
response's Set-Cookie, as a non-browser client does (API.md). Done once before the steps: a
login is a deliberate ~0.3-0.5 s of PBKDF2 CPU, and 200 of them inside a step would measure
password hashing, not browsing. Its own latency is reported (login.json).
"""

import argparse
import json
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from http.cookies import SimpleCookie
from pathlib import Path


def login(host: str, username: str, password: str) -> tuple[str, float]:
    body = json.dumps({"username": username, "password": password}).encode()
    request = urllib.request.Request(  # noqa: S310  (http URL given on the command line)
        f"{host}/api/token/", data=body, headers={"Content-Type": "application/json"}
    )
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        assert response.status == 201, response.status
        cookies = SimpleCookie()
        for header in response.headers.get_all("Set-Cookie"):
            cookies.load(header)
    return cookies["access_token"].value, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", required=True)
    parser.add_argument("--out", type=Path, default=Path("bench/out/load"))
    parser.add_argument("--parallel", type=int, default=4)
    args = parser.parse_args()
    seeded = json.loads((args.out / "users.json").read_text())
    started = time.perf_counter()
    with ThreadPoolExecutor(args.parallel) as pool:
        results = list(
            pool.map(lambda u: login(args.host, u["username"], seeded["password"]), seeded["users"])
        )
    took = time.perf_counter() - started
    tokens = [
        {"id": u["id"], "username": u["username"], "token": token}
        for u, (token, _) in zip(seeded["users"], results, strict=True)
    ]
    (args.out / "tokens.json").write_text(json.dumps(tokens))
    latencies = sorted(t for _, t in results)
    summary = {
        "logins": len(latencies),
        "parallel": args.parallel,
        "wall_s": round(took, 2),
        "p50_ms": round(latencies[len(latencies) // 2] * 1000, 1),
        "max_ms": round(latencies[-1] * 1000, 1),
    }
    (args.out / "login.json").write_text(json.dumps(summary))
    print(f"logins: {summary}")


if __name__ == "__main__":
    main()
