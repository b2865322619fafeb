"""make bench: the lab images measured on this machine, figures side by side.

1. scenario_2's backend: requests per second and p99 latency of GET /posts and
   POST /posts at 16 connections (wrk), under gunicorn (the image's command) and
   under Flask's dev server (same image, same code, same hardening limits), with the
   ratio, and the writes lost: posts answered 201 but not stored (must be 0).
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
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
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


def measure_server(engine: DockerCLI, image: str, server: str) -> dict:
    with backend(engine, image, server) as url:
        progress(f"{server}: GET /posts for {SECONDS} s")
        reads = wrk(f"{url}/posts")
        progress(f"{server}: POST /posts for {SECONDS} s")
        writes = wrk(f"{url}/posts", POST_SCRIPT)
        progress(f"{server}: reading back {len(writes['created'])} created posts")
        lost = set(writes.pop("created")) - stored_ids(engine, url)
        reads.pop("created")
    return {"GET /posts": reads, "POST /posts": writes, "writes_lost": len(lost)}


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
    print(f"\nscenario2-backend, {CONNECTIONS} connections, {SECONDS} s per run, both in the "
          f"same image under the baseline ({BASELINE['cpus']} CPU, {BASELINE['memory']})")
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
            "servers": {server: measure_server(engine, tags["scenario2-backend"], server)
                        for server in SERVERS},
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
