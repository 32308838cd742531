"""Container health check: GET /api/health/ on this container's own worker.

    python -m mcbackend.healthcheck [URL]      # default http://127.0.0.1:8000/api/health/

Sends the first of DJANGO_ALLOWED_HOSTS as the Host header, so the check passes whatever the
allowed hosts are (a bare `localhost` is refused with 400 once they name the site's domain).
Exit status 0 when the worker answers 200, 1 otherwise.
"""

import os
import sys
import urllib.error
import urllib.request

DEFAULT_URL = "http://127.0.0.1:8000/api/health/"


def host_header(allowed_hosts: str) -> str:
    """A Host value Django accepts: the first allowed host (".example.com" -> "example.com")."""
    for host in allowed_hosts.split(","):
        host = host.strip().lstrip(".")
        if host and host != "*":
            return host
    return "localhost"


def check(url: str, *, allowed_hosts: str, timeout: float = 3.0) -> bool:
    request = urllib.request.Request(url, headers={"Host": host_header(allowed_hosts)})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def main(argv: list[str]) -> int:
    url = argv[1] if len(argv) > 1 else DEFAULT_URL
    return 0 if check(url, allowed_hosts=os.environ.get("DJANGO_ALLOWED_HOSTS", "")) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
