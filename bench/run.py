"""make bench: the lab images measured on this machine, figures side by side.

1. scenario_2's backend: requests per second and p99 latency of GET /posts and
   POST /posts at 16 connections (wrk), under gunicorn (the image's command) and
   under Flask's dev server (same image, same code, same hardening limits), with the
   ratio, and the writes lost: posts answered 201 but not stored (must be 0). The
   two servers run side by side and are measured in turns, ROUNDS times each.
2. Each lab image's size and what it adds to its base image.
3. A clean build of scenario_2's backend against a rebuild after a one-line code
   change (the dependency layer stays cached), as a ratio.

Everything it makes is labelled devopslab.bench=run and removed at the end.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "collections"), str(REPO / "apps")]

from ansible_collections.devopslab.docker_lab.plugins.module_utils.hardening import (  # noqa: E402
    APP_GID,
    APP_UID,
    BASELINE,
)
from testkit.engine import DockerCLI, lab_base_image  # noqa: E402

SECONDS = int(os.environ.get("BENCH_SECONDS", "5"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
CONNECTIONS = 16
SEEDED_POSTS = 100
LABEL = "devopslab.bench=run"
IMAGES = {
    "scenario_0": REPO / "apps/scenario_0",
    "scenario1-backend": REPO / "apps/scenario_1/backend",
    "scenario1-frontend": REPO / "apps/scenario_1/frontend",
    "scenario2-backend": REPO / "apps/scenario_2/backend",
    "scenario2-frontend": REPO / "apps/scenario_2/frontend",
    "stress": REPO / "apps/stress",
}
SERVERS = {
    "gunicorn": (),
    "flask dev server": ("flask", "--app", "app", "run", "--host", "0.0.0.0", "--port", "5100"),
}
LOG_TMPFS = f"/var/log/app:rw,noexec,nosuid,size=64m,uid={APP_UID},gid={APP_GID}"
POST_SCRIPT = REPO / "bench" / "post.lua"
RESULTS = REPO / "bench" / "results" / "latest.json"


def wrk(url: str, script: Path | None = None) -> dict:
    """One wrk run: requests/s, p99 in ms, failed requests and, with post.lua, created ids."""
    command = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{SECONDS}s", "--timeout", "10s", "--latency"]
    command += ["-s", str(script)] if script else []
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    value, unit = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", output, re.M).groups()
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                       output)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    ids = re.search(r"^created_ids (.*)$", output, re.M)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p99_ms": float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit],
        "failed": (int(non_2xx.group(1)) if non_2xx else 0)
        + (sum(map(int, errors.groups())) if errors else 0),
        "created": [int(i) for i in ids.group(1).split(",") if i] if ids else [],
    }


def stored_ids(engine: DockerCLI, url: str) -> set[int]:
    """Every stored id. Newest first: a late insert shifts a row to the next page, where
    it shows twice, but never makes one missing."""
    ids: set[int] = set()
    offset = 0
    while True:
        _, body = engine.request(f"{url}/posts?limit=1000&offset={offset}")
        page = json.loads(body)["posts"]
        if not page:
            return ids
        ids.update(post["id"] for post in page)
        offset += len(page)


@contextmanager
def backend(engine: DockerCLI, image: str, server: str):
    """scenario_2's backend under the baseline, its log on a tmpfs, with seeded posts."""
    name = f"devopslab-bench-{server.replace(' ', '-')}"
    volume = engine.volume(f"{name}-data")
    engine.run(name, image, "-v", f"{volume}:/data", "--tmpfs", LOG_TMPFS,
               "-p", "127.0.0.1::5100", command=SERVERS[server])
    try:
        engine.wait_healthy(name)
        url = engine.url(name, 5100)
        post = json.dumps({"title": "seeded", "content": "a post that was there before"})
        for _ in range(SEEDED_POSTS):
            engine.request(f"{url}/posts", post.encode(), {"Content-Type": "application/json"})
        yield url
    finally:
        engine.remove(name, volume)


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def median_run(runs: list[dict]) -> dict:
    return {
        "rps": statistics.median(run["rps"] for run in runs),
        "p99_ms": statistics.median(run["p99_ms"] for run in runs),
        "failed": sum(run["failed"] for run in runs),
    }


def measure_servers(engine: DockerCLI, image: str) -> dict:
    """Both servers up at once, measured in turns, so a change in the machine's load
    falls on both; the medians of ROUNDS runs each."""
    with ExitStack() as stack:
        urls = {server: stack.enter_context(backend(engine, image, server)) for server in SERVERS}
        runs: dict = {server: {"GET /posts": [], "POST /posts": []} for server in SERVERS}
        created: dict = {server: [] for server in SERVERS}
        for endpoint, script in (("GET /posts", None), ("POST /posts", POST_SCRIPT)):
            for turn in range(1, ROUNDS + 1):
                for server, url in urls.items():
                    progress(f"{endpoint}, {server}, run {turn} of {ROUNDS}: {SECONDS} s")
                    result = wrk(f"{url}/posts", script)
                    created[server] += result.pop("created")
                    runs[server][endpoint].append(result)
        return {
            server: {
                **{endpoint: median_run(runs[server][endpoint]) for endpoint in runs[server]},
                "writes_lost": len(set(created[server]) - stored_ids(engine, urls[server])),
            }
            for server in SERVERS
        }


def image_sizes(engine: DockerCLI, tags: dict[str, str]) -> dict:
    def size(ref: str) -> int:
        return int(engine.docker("image", "inspect", "-f", "{{.Size}}", ref))

    base = size(engine.base_image)
    return {name: {"size": size(tag), "added": size(tag) - base} for name, tag in tags.items()}


def rebuild_times(engine: DockerCLI) -> dict:
    """A clean build of scenario_2's backend, then one after a one-line change to app.py."""
    with tempfile.TemporaryDirectory() as work:
        context = Path(work) / "backend"
        shutil.copytree(IMAGES["scenario2-backend"], context)
        tag = "devopslab-bench/rebuild:latest"
        started = time.monotonic()
        engine.build(context, tag, "--no-cache")
        clean = time.monotonic() - started
        with open(context / "app.py", "a", encoding="utf-8") as app:
            app.write("# a one-line change\n")
        started = time.monotonic()
        engine.build(context, tag)
        rebuild = time.monotonic() - started
        engine.docker("rmi", tag, check=False)
    return {"clean_s": clean, "rebuild_s": rebuild}


def ratio(first: float, second: float) -> str:
    return f"{first / second:.2f}x" if second else "n/a"


def report(results: dict) -> None:
    servers = results["servers"]
    gunicorn, dev = servers["gunicorn"], servers["flask dev server"]
    print(f"\nscenario2-backend, {CONNECTIONS} connections, median of {ROUNDS} runs of "
          f"{SECONDS} s taken in turns, both in the same image under the baseline "
          f"({BASELINE['cpus']} CPU, {BASELINE['memory']}); load average at the start "
          f"{results['load_average']:.2f} on {os.cpu_count()} CPUs")
    print(f"{'':24}{'gunicorn':>14}{'flask dev':>14}{'ratio':>10}")
    for endpoint in ("GET /posts", "POST /posts"):
        a, b = gunicorn[endpoint], dev[endpoint]
        print(f"{endpoint + ' req/s':24}{a['rps']:>14.1f}{b['rps']:>14.1f}"
              f"{ratio(a['rps'], b['rps']):>10}")
        print(f"{endpoint + ' p99 ms':24}{a['p99_ms']:>14.1f}{b['p99_ms']:>14.1f}"
              f"{ratio(a['p99_ms'], b['p99_ms']):>10}")
        print(f"{endpoint + ' failed':24}{a['failed']:>14}{b['failed']:>14}")
    print(f"{'writes lost':24}{gunicorn['writes_lost']:>14}{dev['writes_lost']:>14}")

    print(f"\nimage sizes (base {results['base_image']}: {results['base_size'] / 1e6:.1f} MB)")
    print(f"{'':24}{'size MB':>14}{'added MB':>14}")
    for name, size in results["images"].items():
        print(f"{name:24}{size['size'] / 1e6:>14.1f}{size['added'] / 1e6:>14.1f}")

    build = results["build"]
    speedup = ratio(build["clean_s"], build["rebuild_s"])
    print(f"\nscenario2-backend build: clean {build['clean_s']:.1f} s, after a one-line "
          f"code change {build['rebuild_s']:.1f} s, ratio {speedup}")


def main() -> None:
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: apt-get install wrk")
    engine = DockerCLI(lab_base_image(REPO), LABEL)
    engine.remove_all()
    try:
        tags = {name: engine.build(path, f"devopslab-bench/{name}:latest")
                for name, path in IMAGES.items()}
        results = {
            "load_average": os.getloadavg()[0],
            "servers": measure_servers(engine, tags["scenario2-backend"]),
            "base_image": engine.base_image,
            "base_size": int(engine.docker("image", "inspect", "-f", "{{.Size}}",
                                           engine.base_image)),
            "images": image_sizes(engine, tags),
            "build": rebuild_times(engine),
        }
    finally:
        engine.remove_all()
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    report(results)
    lost = sum(server["writes_lost"] for server in results["servers"].values())
    sys.exit(1 if lost else 0)


if __name__ == "__main__":
    main()
