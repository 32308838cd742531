"""Turn locustfile.py's steps.json into the Markdown tables of RESULTS.md.

python bench/load/report.py bench/out/load/steps.json
"""

import json
import sys
from pathlib import Path

LIST_AND_DETAIL = (
    "GET /api/movies/popular/",
    "GET /api/movie/[id]/",
    "GET /api/movie/[id]/comments/",
    "GET /api/movie/[id]/similar/",
    "GET /api/movie/search/?title=",
    "GET /api/user/movies/",
    "GET /api/friend-requests/incoming/",
)


def main() -> None:
    steps = json.loads(Path(sys.argv[1]).read_text())
    print(
        "| users | req/s (HTTP) | errors | load avg start -> end | CPU s: web1 / web2 / ws / "
        "nginx / postgres / redis / locust | sockets open (max) | postgres processes (max) | "
        "frames in | expected 409 |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for step in steps:
        http = {k: v for k, v in step["endpoints"].items() if not k.startswith("ws:")}
        rps = sum(v["count"] for v in http.values()) / step["duration_s"]
        errors = sum(v["errors"] for v in step["endpoints"].values())
        cpu = step["cpu_s"]
        cpu_cols = " / ".join(
            str(cpu.get(k, "-"))
            for k in ("web1", "web2", "ws", "nginx", "postgres", "redis-server", "locust")
        )
        print(
            f"| {step['users']} | {rps:.1f} | {errors} | {step['loadavg_start'][0]} -> "
            f"{step['loadavg_end'][0]} | {cpu_cols} | {step['ws_open_max']} | "
            f"{step['pg_processes_max']} | "
            f"{sum(step['ws_frames'].values())} | {step['expected_409']} |"
        )
    for step in steps:
        print(
            f"\n### {step['users']} users ({step['duration_s']} s, load average "
            f"{step['loadavg_start'][0]} -> {step['loadavg_end'][0]})\n"
        )
        print("| endpoint | n | req/s | p50 ms | p95 ms | p99 ms | max ms | errors |")
        print("|---|---|---|---|---|---|---|---|")
        for name, row in step["endpoints"].items():
            flag = " *" if name in LIST_AND_DETAIL and row["p95"] > 50 else ""
            print(
                f"| {name} | {row['count']} | {row['rps']} | {row['p50']} | {row['p95']}{flag} | "
                f"{row['p99']} | {row['max']} | {row['errors']} |"
            )
        rec = step["endpoints"].get("GET /api/user/movies/")
        health = step["endpoints"].get("GET /api/health/")
        if rec and health:
            print(
                f"\nrecommendations p50 / health p50 = {rec['p50']} / {health['p50']} ms = "
                f"{rec['p50'] / health['p50']:.2f}x (issue 6 target <= 2x)"
            )
        samples = {k: v["error_samples"] for k, v in step["endpoints"].items() if v["errors"]}
        if samples:
            print(f"\nerror samples: {json.dumps(samples)}")
        print(f"\nframes received by type: {json.dumps(step['ws_frames'])}")
    print("\n`*` = list/detail endpoint over the 50 ms p95 target")


if __name__ == "__main__":
    main()
