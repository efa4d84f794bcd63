"""The real peers of background-tasks, under the same wrk load as benches/load.py.

Run with: python3 benches/peers.py            (defaults: 3 rounds x 5 s per configuration)

1. The hand-written axum peer (`peer_server`, see benches/src/peer.rs): the same guarantees as our
   layer written by hand (a body wrapper firing at the body's end, catch_unwind per task, a
   TaskTracker drained at shutdown, sync work in one spawn_blocking), against `load_server tokio`
   with our layer, one sync and one async trivial task per request. Ratio: ours / peer.
2. FastAPI itself on its first example (`benches/peers/fastapi_send_notification.py`, uvicorn, one
   worker), against our three ports of that example (axum on tokio, hyper on smol and on
   async-std): POST /send-notification/{email}, each request appending a line to a log file after
   the response. Reported: req/s, p99, and the share of the background work done when the load
   stops (lines in the log / requests answered). FastAPI and uvicorn are installed into a
   throwaway virtualenv (pip, PyPI) in a temporary directory; nothing is installed globally.

Servers on CPU 0, wrk on CPU 1, loopback only; configurations interleaved, medians of rounds.
Writes benches/results/peers.json and peers.md. Never run in CI.
"""

import argparse
import datetime
import json
import os
import re
import selectors
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import load  # noqa: E402  (wrk, pinning, parsing and medians are load.py's)

ROOT = load.ROOT
EXAMPLES = {
    "axum (tokio)": ("background-tasks-example-axum", "axum_send_notification"),
    "hyper (smol)": ("background-tasks-example-smol", "smol_send_notification"),
    "hyper (async-std)": ("background-tasks-example-async-std", "async_std_send_notification"),
}
TARGET_VS_PEER = 1.0
TARGET_VS_FASTAPI = 25.0


def target_dir():
    metadata = json.loads(
        load.run(
            ["cargo", "metadata", "--format-version", "1", "--no-deps"],
            cwd=ROOT,
            capture_output=True,
        ).stdout
    )
    return Path(metadata["target_directory"]) / "release"


def build(packages_and_bins):
    command = ["cargo", "build", "--release"]
    for package, binary in packages_and_bins:
        command += ["-p", package, "--bin", binary]
    load.log("building " + ", ".join(b for _, b in packages_and_bins) + " (release)")
    load.run(command, cwd=ROOT)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Process:
    """A server process started pinned, which announces or is polled until it listens."""

    def __init__(self, command, cpu, env=None, announce=True, port=None):
        self.stderr = tempfile.TemporaryFile(mode="w+")
        self.process = subprocess.Popen(
            load.pin(cpu) + command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            text=True,
            env=dict(os.environ, **(env or {})),
        )
        if announce:
            line = self._line(timeout=30)
            match = re.search(r"(http://\S+)", line or "")
            if not match:
                self.fail(f"did not announce its address: {line!r}")
            self.url = match.group(1)
        else:
            self.url = f"http://127.0.0.1:{port}"
            self._wait_listening(port)

    def _line(self, timeout):
        with selectors.DefaultSelector() as selector:
            selector.register(self.process.stdout, selectors.EVENT_READ)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if not selector.select(deadline - time.monotonic()):
                    return None
                line = self.process.stdout.readline()
                if not line:
                    return None
                if "http://" in line:
                    return line.strip()
        return None

    def _wait_listening(self, port, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.fail("exited before listening")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)  # polling a startup, not synchronising a test
        self.fail("did not listen in time")

    def fail(self, why):
        self.stop()
        self.stderr.seek(0)
        raise RuntimeError(f"{self.process.args}: {why}\n{self.stderr.read()}")

    def stats(self):
        with urllib.request.urlopen(self.url + "/stats", timeout=10) as response:
            return json.loads(response.read())

    def stop(self):
        try:
            self.process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.terminate()
            try:
                self.process.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.communicate()
        self.stderr.close()


# --- the hand-written axum peer --------------------------------------------------------------


def peer_run(release, who, scenario, options):
    if who == "ours":
        command = [str(release / "load_server"), "tokio", scenario]
    else:
        command = [str(release / "peer_server"), scenario]
    server = Process(command, options.server_cpu)
    try:
        load.wrk(server.url, 1, options.connections, 1, options.client_cpu)  # warm-up
        time.sleep(0.2)  # let the warm-up's tasks finish: they are not part of the count
        before = server.stats()
        result = load.wrk(server.url, options.duration, options.connections, 1, options.client_cpu)
        at_stop = server.stats()
    finally:
        server.stop()
    queued = at_stop["queued"] - before["queued"]
    result["ran_fraction_at_stop"] = (at_stop["completed"] - before["completed"]) / queued
    return result


# --- FastAPI against our ports of its first example -------------------------------------------


def fastapi_venv(workdir):
    venv = workdir / "venv"
    load.log("installing fastapi and uvicorn into a throwaway virtualenv (pip)")
    load.run([sys.executable, "-m", "venv", str(venv)])
    load.run([str(venv / "bin" / "pip"), "install", "-q", "fastapi", "uvicorn"])
    version = load.output(
        [str(venv / "bin" / "python"), "-c", "import fastapi, uvicorn; print(fastapi.__version__, uvicorn.__version__)"]
    )
    return venv, version


def wrk_post(url, seconds, options):
    command = load.pin(options.client_cpu) + [
        "wrk",
        "-t1",
        f"-c{options.connections}",
        f"-d{seconds}s",
        "--latency",
        "-s",
        str(Path(__file__).resolve().parent / "peers" / "post.lua"),
        url + "/send-notification/ada@example.com",
    ]
    done = subprocess.run(command, text=True, capture_output=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout}{done.stderr}")
    return load.parse_wrk(done.stdout)


def lines(path):
    try:
        with open(path, "rb") as file:
            return sum(1 for _ in file)
    except FileNotFoundError:
        return 0


def example_run(release, venv, who, workdir, options):
    log_file = workdir / f"{re.sub(r'[^a-z]+', '-', who)}.log.txt"
    log_file.unlink(missing_ok=True)
    port = free_port()
    if who == "FastAPI":
        command = [
            str(venv / "bin" / "uvicorn"),
            "fastapi_send_notification:app",
            "--app-dir",
            str(Path(__file__).resolve().parent / "peers"),
            "--port",
            str(port),
            "--workers",
            "1",
            "--log-level",
            "warning",
            "--no-access-log",
        ]
        env = {"LOG_FILE": str(log_file)}
    else:
        command = [str(release / EXAMPLES[who][1])]
        env = {"EXAMPLE_ADDR": f"127.0.0.1:{port}", "EXAMPLE_LOG_FILE": str(log_file)}
    server = Process(command, options.server_cpu, env=env, announce=False, port=port)
    try:
        wrk_post(server.url, 1, options)  # warm-up
        time.sleep(0.5)  # let the warm-up's tasks finish: they are not part of the count
        before = lines(log_file)
        result = wrk_post(server.url, options.duration, options)
        at_stop = lines(log_file) - before
    finally:
        server.process.send_signal(2)  # Ctrl-C: each example drains and exits
        server.stop()
    result["ran_fraction_at_stop"] = at_stop / result["requests"] if result["requests"] else None
    return result


# --- main ------------------------------------------------------------------------------------


def rounds_of(configurations, run, options):
    rounds = {c: [] for c in configurations}
    for index in range(options.rounds):
        shift = index % len(configurations)
        for configuration in configurations[shift:] + configurations[:shift]:
            result = run(configuration)
            rounds[configuration].append(result)
            load.log(
                f"round {index + 1}/{options.rounds} {' '.join(configuration):32} "
                f"{result['rps']:>10,.0f} req/s  p99 {load.fmt(result['p99_ms'], '.2f')} ms  "
                f"done at stop {load.fmt(result['ran_fraction_at_stop'], '.1%')}"
            )
    return {c: {"median": summarize(runs), "rounds": runs} for c, runs in rounds.items()}


def summarize(runs):
    keys = ("rps", "p50_ms", "p99_ms", "ran_fraction_at_stop")
    summary = {key: load.median([r[key] for r in runs]) for key in keys}
    summary["errors"] = sum(r["socket_errors"] + r["non_2xx"] for r in runs)
    return summary


def main():
    parser = argparse.ArgumentParser(description="background-tasks against its real peers")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--server-cpu", type=int, default=0)
    parser.add_argument("--client-cpu", type=int, default=1)
    parser.add_argument("--skip", choices=["peer", "fastapi"], action="append", default=[])
    parser.add_argument("--out-dir", type=Path, default=ROOT / "benches" / "results")
    options = parser.parse_args()
    load.ensure_wrk(True)
    release = target_dir()
    build(
        [("background-tasks-benches", "load_server"), ("background-tasks-benches", "peer_server")]
        + list(EXAMPLES.values())
    )
    document = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": load.machine(),
        "settings": {k: getattr(options, k) for k in ("rounds", "duration", "connections", "server_cpu", "client_cpu")},
    }
    md = []
    if "peer" not in options.skip:
        configurations = [(who, s) for s in ("one-sync", "one-async") for who in ("ours", "peer")]
        results = rounds_of(configurations, lambda c: peer_run(release, c[0], c[1], options), options)
        document["hand_written_axum_peer"] = {" ".join(c): r for c, r in results.items()}
        md += [
            "| tokio, axum | ours req/s | peer req/s | ours ÷ peer (≥ 1.0) | ours p99 ms | peer p99 ms |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for scenario in ("one-sync", "one-async"):
            ours = results[("ours", scenario)]["median"]
            peer = results[("peer", scenario)]["median"]
            ratio = ours["rps"] / peer["rps"]
            md.append(
                f"| {scenario} | {ours['rps']:,.0f} | {peer['rps']:,.0f} | {ratio:.3f} "
                f"{'✓' if ratio >= TARGET_VS_PEER else '✗'} | {load.fmt(ours['p99_ms'], '.2f')} | "
                f"{load.fmt(peer['p99_ms'], '.2f')} |"
            )
        md.append("")
    if "fastapi" not in options.skip:
        with tempfile.TemporaryDirectory(prefix="background-tasks-peers-") as workdir:
            workdir = Path(workdir)
            venv, versions = fastapi_venv(workdir)
            document["fastapi_versions"] = versions
            configurations = [("FastAPI",)] + [(who,) for who in EXAMPLES]
            results = rounds_of(
                configurations, lambda c: example_run(release, venv, c[0], workdir, options), options
            )
        document["fastapi_first_example"] = {c[0]: r for c, r in results.items()}
        fastapi = results[("FastAPI",)]["median"]
        md += [
            f"| first example | req/s | ÷ FastAPI (≥ {TARGET_VS_FASTAPI:.0f}) | p99 ms | work done at stop |",
            "|---|---:|---:|---:|---:|",
            f"| FastAPI {versions} (uvicorn, 1 worker) | {fastapi['rps']:,.0f} | 1 | "
            f"{load.fmt(fastapi['p99_ms'], '.2f')} | {load.fmt(fastapi['ran_fraction_at_stop'], '.1%')} |",
        ]
        for who in EXAMPLES:
            ours = results[(who,)]["median"]
            ratio = ours["rps"] / fastapi["rps"]
            md.append(
                f"| {who} | {ours['rps']:,.0f} | {ratio:.1f} {'✓' if ratio >= TARGET_VS_FASTAPI else '✗'} | "
                f"{load.fmt(ours['p99_ms'], '.2f')} | {load.fmt(ours['ran_fraction_at_stop'], '.1%')} |"
            )
        md.append("")
    options.out_dir.mkdir(parents=True, exist_ok=True)
    (options.out_dir / "peers.json").write_text(json.dumps(document, indent=2, default=str) + "\n")
    (options.out_dir / "peers.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))


if __name__ == "__main__":
    main()
