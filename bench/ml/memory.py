"""Serving memory of two worker processes sharing one artifact: USS/PSS, mapped vs copied.

Trains the served configuration on the demo ratings twice (ranker "sparse", the default, and
"dense", full EASE), saves both artifacts, then for each of these cases starts two worker
processes side by side, each one loading the artifact the way a web worker does
(`Recommender.load`, one torch thread) and serving recommend/predict/similar calls for 100
synthetic users, and reads both workers' /proc/<pid>/smaps:

- floor: the same worker importing torch and ml.recommender but loading no model;
- mapped (served): `torch.load(..., mmap=True)` as `ml.artifacts.load_artifact` does;
- copied (before): the same load with mmap=False, every process reading its own copy.

Per worker: RSS, PSS and USS (private pages) of the whole process, and the RSS/PSS/shared/private
of the model.pt mapping alone (which shows that the two workers share its pages). Writes
bench/out/ml/memory.json and prints a Markdown table.

    PYTHONPATH=. .venv/bin/python bench/ml/memory.py [--ratings DIR]
        [--artifacts DIR | --artifact DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

FIELDS = ("Rss", "Pss", "Shared_Clean", "Shared_Dirty", "Private_Clean", "Private_Dirty")


def smaps(pid: int, name: str) -> tuple[dict[str, int], dict[str, int]]:
    """kB totals of the whole process and of the mappings whose path ends with `name`."""
    total = dict.fromkeys(FIELDS, 0)
    mapped = dict.fromkeys(FIELDS, 0)
    inside = False
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        head = line.split()
        if not head:
            continue
        if not head[0].endswith(":") or "-" in head[0]:  # a mapping's header line
            inside = line.rstrip().endswith(name)
            continue
        key = head[0][:-1]
        if key in FIELDS:
            total[key] += int(head[1])
            if inside:
                mapped[key] += int(head[1])
    return total, mapped


def summary(kb: dict[str, int]) -> dict[str, float]:
    mb = 1024.0
    return {
        "rss_mb": kb["Rss"] / mb,
        "pss_mb": kb["Pss"] / mb,
        "uss_mb": (kb["Private_Clean"] + kb["Private_Dirty"]) / mb,
        "shared_mb": (kb["Shared_Clean"] + kb["Shared_Dirty"]) / mb,
    }


def worker(artifact: str, mode: str) -> None:
    """One serving process: load (or not), serve calls, report, wait for stdin to close."""
    import numpy as np
    import torch

    from ml.recommender import Recommender, configure_threads

    configure_threads(1)
    if mode == "copied":
        load = torch.load
        torch.load = lambda *a, **kw: load(*a, **{**kw, "mmap": False})  # type: ignore[assignment]
    if mode != "floor":
        rec = Recommender.load(artifact)
        ids = np.array(rec.movie_ids)
        rng = np.random.default_rng(0)
        for _ in range(100):
            rated = rng.choice(ids, size=int(rng.integers(5, 200)), replace=False)
            ratings = {int(m): float(rng.integers(1, 11)) / 2 for m in rated}
            rec.recommend(ratings=ratings, k=20)
            rec.predict(ratings=ratings, movie_ids=[int(m) for m in ids[:50]])
            rec.similar(int(rated[0]), 10)
    print("ready", flush=True)
    sys.stdin.read()


def measure(artifact: Path, mode: str) -> list[dict[str, Any]]:
    env = {**os.environ, "PYTHONPATH": str(Path.cwd()), "OMP_NUM_THREADS": "1"}
    procs = [
        subprocess.Popen(
            [sys.executable, __file__, "--worker", str(artifact), "--mode", mode],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(2)
    ]
    try:
        for p in procs:
            assert p.stdout is not None
            if p.stdout.readline().strip() != "ready":
                raise RuntimeError(f"worker {p.pid} failed ({mode})")
        time.sleep(0.5)
        rows = []
        for p in procs:
            total, mapped = smaps(p.pid, "model.pt")
            rows.append({"process": summary(total), "model.pt mapping": summary(mapped)})
        return rows
    finally:
        for p in procs:
            assert p.stdin is not None
            p.stdin.close()
            p.wait(timeout=30)


def train_artifacts(ratings: Path, root: Path) -> dict[str, Path]:
    import torch

    from ml.artifacts import save_artifact
    from ml.data import load_ratings
    from ml.train import TrainConfig, train

    torch.set_num_threads(1)
    df = load_ratings(ratings)
    out = {}
    for ranker in ("sparse", "dense"):
        result = train(df, TrainConfig(ranker=ranker))
        out[ranker] = save_artifact(root, result=result, version=ranker, curve=False)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ratings", type=Path, default=Path("data/demo/ml-latest-small"))
    parser.add_argument("--artifacts", type=Path, help="reuse <DIR>/sparse and <DIR>/dense")
    parser.add_argument(
        "--artifact",
        type=Path,
        help="measure this one (sparse) artifact only, e.g. the one scale.py --artifact saved",
    )
    parser.add_argument("--out", default="bench/out/ml")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--mode", default="mapped", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.mode)
        return
    report: dict[str, Any] = {"load_average_at_start": os.getloadavg(), "cases": {}}
    with tempfile.TemporaryDirectory(prefix="mc-memory-") as tmp:
        rankers: tuple[str, ...] = ("sparse", "dense")
        if args.artifact:
            rankers = ("sparse",)
            paths = {"sparse": args.artifact}
        elif args.artifacts:
            paths = {r: args.artifacts / r for r in rankers}
        else:
            paths = train_artifacts(args.ratings, Path(tmp))
        report["model.pt_mb"] = {
            r: (p / "model.pt").stat().st_size / 2**20 for r, p in paths.items()
        }
        report["artifact_mb"] = {
            r: sum(f.stat().st_size for f in p.iterdir()) / 2**20 for r, p in paths.items()
        }
        cases = [("floor (no model)", paths["sparse"], "floor")]
        for ranker in rankers:
            for mode in ("mapped", "copied"):
                cases.append((f"{ranker}, {mode}", paths[ranker], mode))
        for name, path, mode in cases:
            report["cases"][name] = {"workers": measure(path, mode), "load": os.getloadavg()}
    report["load_average_at_end"] = os.getloadavg()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "memory.json").write_text(json.dumps(report, indent=2) + "\n")
    print(f"model.pt: {report['model.pt_mb']}  artifact: {report['artifact_mb']}")
    print(
        "| case | worker | RSS MB | PSS MB | USS MB | model.pt RSS | model.pt PSS "
        "| model.pt shared | model.pt private | load avg |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, case in report["cases"].items():
        for i, w in enumerate(case["workers"], 1):
            p, m = w["process"], w["model.pt mapping"]
            print(
                f"| {name} | {i} | {p['rss_mb']:.1f} | {p['pss_mb']:.1f} | {p['uss_mb']:.1f} "
                f"| {m['rss_mb']:.1f} | {m['pss_mb']:.1f} | {m['shared_mb']:.1f} "
                f"| {m['uss_mb']:.1f} | {case['load'][0]:.2f} |"
            )


if __name__ == "__main__":
    main()
