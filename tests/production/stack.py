"""The production shape on this machine: gunicorn (`web`) and daphne (`ws`) started with
docker-compose.yml's commands, behind a real nginx running deploy/nginx-main.conf and
deploy/nginx.conf, with only what a host outside Docker needs changed (upstream addresses,
file paths, no `user` switch).
"""

import re
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(url: str, *, process: subprocess.Popen, headers: dict | None = None) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            requests.get(url, headers=headers, timeout=10)
            return
        except (requests.ConnectionError, requests.Timeout):
            pass
        assert process.poll() is None, f"{process.args} exited"
        assert time.monotonic() < deadline, f"{url} did not answer"
        time.sleep(0.2)


def nginx_config(tmp: Path, *, port: int, web: int, ws: int) -> Path:
    """deploy/'s two files, pointed at local upstreams and a private directory."""
    site = (ROOT / "deploy" / "nginx.conf").read_text()
    site = site.replace("server web:8000;", f"server 127.0.0.1:{web};")
    site = site.replace("server ws:8000;", f"server 127.0.0.1:{ws};")
    site = site.replace("listen 80;", f"listen 127.0.0.1:{port};")
    site = site.replace("/srv/static/", f"{tmp}/static/")
    (tmp / "site.conf").write_text(site)
    main = (ROOT / "deploy" / "nginx-main.conf").read_text()
    main = re.sub(r"^user .*;$", "", main, flags=re.M)
    main = main.replace("/var/run/nginx.pid", f"{tmp}/nginx.pid")
    main = main.replace("/var/log/nginx/", f"{tmp}/")
    main = main.replace("/etc/nginx/conf.d/*.conf", f"{tmp}/site.conf")
    mime = Path("/etc/nginx/mime.types")
    main = main.replace(
        "include /etc/nginx/mime.types;", f"include {mime};" if mime.exists() else ""
    )
    temp_paths = "".join(
        f"    {name}_temp_path {tmp}/{name};\n"
        for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    main = main.replace("http {\n", "http {\n" + temp_paths, 1)
    (tmp / "static").mkdir(exist_ok=True)
    (tmp / "nginx.conf").write_text(main)
    return tmp / "nginx.conf"


@dataclass
class Stack:
    url: str
    ws_url: str
    web_url: str
    ws_direct_url: str
    tmp: Path
    processes: list[subprocess.Popen] = field(default_factory=list)

    def log(self, name: str) -> str:
        return (self.tmp / name).read_text(errors="replace")

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def start_stack(
    tmp: Path, env: dict[str, str], *, web_workers: int = 2, root: Path = ROOT
) -> Stack:
    """compose's `web` and `ws` commands behind the deployed nginx config; `root`: the checkout
    they run (bench/http compares an earlier one)."""
    port, web, ws = free_port(), free_port(), free_port()
    env = {
        "GUNICORN_ACCESS_LOG": "-",  # the tests read it; GUNICORN_ACCESS_LOG="" turns it off
        "WEB_THREADS": "4",  # docker-compose.yml's defaults for `web`
        "DB_POOL_MIN_SIZE": "1",
        "DB_POOL_MAX_SIZE": "5",
        **env,
        "PYTHONPATH": str(root),
        "GUNICORN_BIND": f"127.0.0.1:{web}",
        "WEB_WORKERS": str(web_workers),
    }
    web_env = {**env, "PROMETHEUS_MULTIPROC_DIR": str(tmp / "metrics")}  # as compose sets it
    bin_dir = Path(sys.executable).parent
    stack = Stack(
        url=f"http://127.0.0.1:{port}",
        ws_url=f"ws://127.0.0.1:{port}/ws/",
        web_url=f"http://127.0.0.1:{web}",
        ws_direct_url=f"http://127.0.0.1:{ws}",
        tmp=tmp,
    )
    try:
        commands = {
            # docker-compose.yml's `web` and `ws` commands
            "web.log": [str(bin_dir / "gunicorn"), "-c", "deploy/gunicorn.conf.py",
                        "mcbackend.wsgi:application"],
            "ws.log": [sys.executable, "-m", "realtime.server", "-b", "127.0.0.1", "-p", str(ws),
                       "--proxy-headers", "--proxy-headers-host", "X-Real-IP",
                       "mcbackend.asgi:application"],
        }  # fmt: skip
        for log, command in commands.items():
            with (tmp / log).open("wb") as out:
                stack.processes.append(
                    subprocess.Popen(
                        command,
                        cwd=root,
                        env=web_env if log == "web.log" else env,
                        stdout=out,
                        stderr=out,
                    )
                )
        host = {"Host": env["DJANGO_ALLOWED_HOSTS"].split(",")[0]}
        wait_for(f"{stack.web_url}/api/health/", process=stack.processes[0], headers=host)
        wait_for(f"{stack.ws_direct_url}/api/health/", process=stack.processes[1], headers=host)
        start_nginx(stack, port=port, web=web, ws=ws, headers=host)
    except BaseException:
        stack.stop()
        raise
    return stack


def start_nginx(
    stack: Stack, *, port: int, web: int, ws: int, headers: dict[str, str] | None = None
) -> None:
    """The deployed nginx config on `port` in front of `web` and `ws` (nginx_config), added to
    the stack's processes once it answers health."""
    assert NGINX is not None
    config = nginx_config(stack.tmp, port=port, web=web, ws=ws)
    nginx = subprocess.Popen(
        [NGINX, "-c", str(config), "-e", str(stack.tmp / "error.log"), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=(stack.tmp / "nginx.out").open("wb"),
    )
    stack.processes.append(nginx)
    wait_for(f"{stack.url}/api/health/", process=nginx, headers=headers)
