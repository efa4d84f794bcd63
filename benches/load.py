#!/usr/bin/env python3
"""HTTP load benchmark of background-tasks: wrk against `load_server`, on tokio, smol, async-std,
actix-web (`actix`: BackgroundTasksMiddleware, its tasks on a tokio runtime of the server's own),
poem (`poem`: its BackgroundTasksMiddleware) and Rocket 0.5 (`rocket`: BackgroundTasksFairing),
each framework's scenarios against the same framework bare.

Run with: python3 benches/load.py            (defaults: 5 rounds x 5 s per configuration)
Smoke run: python3 benches/load.py --rounds 1 --duration 1

What it does, in order:
1. installs wrk from Debian's packages if it is missing (apt-get, as root or through sudo);
2. builds the server: cargo build --release -p background-tasks-benches --bin load_server;
3. for each round, runs every (runtime, scenario) configuration once, interleaved, in an order
   rotated from one round to the next. One run: start a fresh server pinned to one CPU (taskset),
   warm it up with wrk, read its /stats, load it with wrk pinned to another CPU for the set
   duration, read /stats again the moment wrk exits (how many of the tasks queued during the load
   have already run), then stop the server;
4. takes the median of the rounds for each configuration and writes
   benches/results/load.json, benches/results/load.svg (median req/s per scenario and runtime)
   and benches/results/load.md (the tables printed at the end, with the ratios the targets need).

Standard library only. Loopback only: the server binds 127.0.0.1 on a free port.
"""

import argparse
import datetime
import json
import os
import platform
import re
import selectors
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNTIMES = ["tokio", "smol", "async-std", "actix", "poem", "rocket"]
# Scenarios about tower's layers, which actix-web, poem and Rocket do not serve.
NOT_ON = {framework: {"noop-layer"} for framework in ("actix", "poem", "rocket")}
# Keep in step with background_tasks_benches::Scenario::ALL.
SCENARIOS = [
    "bare",
    "noop-layer",
    "layer-empty",
    "one-async",
    "ten-async",
    "one-sync",
    "ten-sync",
    "raw-spawn",
    "raw-spawn-blocking",
    "raw-spawn-blocking-ten",
]
SCENARIO_NOTES = {
    "bare": "axum, no layer (actix, poem, rocket: the framework, no middleware or fairing)",
    "noop-layer": "axum with tower's Identity layer (any layer's cost in axum)",
    "layer-empty": "BackgroundTasksLayer (actix, poem: the middleware; rocket: the fairing), no task queued",
    "one-async": "the layer, one async task",
    "ten-async": "the layer, ten async tasks",
    "one-sync": "the layer, one sync task",
    "ten-sync": "the layer, ten sync tasks",
    "raw-spawn": "no layer, the task spawned by hand (actix: on the app's tokio runtime; poem, rocket: on the framework's)",
    "raw-spawn-blocking": "no layer, fire-and-forget spawn_blocking by hand",
    "raw-spawn-blocking-ten": "no layer, ten boxed tasks in one fire-and-forget spawn_blocking",
}
TASKS_PER_REQUEST = {
    "one-async": 1,
    "ten-async": 10,
    "one-sync": 1,
    "ten-sync": 10,
    "raw-spawn": 1,
    "raw-spawn-blocking": 1,
    "raw-spawn-blocking-ten": 10,
}
# (name, numerator scenario, denominator scenario, minimum ratio)
THROUGHPUT_TARGETS = [
    ("layer (actix: middleware), no task vs bare axum (actix: bare actix-web)", "layer-empty", "bare", 0.97),
    ("one async task vs hand-written spawn", "one-async", "raw-spawn", 0.95),
    ("one sync task vs fire-and-forget spawn_blocking", "one-sync", "raw-spawn-blocking", 0.90),
    ("ten sync tasks vs one sync task", "ten-sync", "one-sync", 0.90),
]
# The same ratios for the hand-written code: what the machine allows, printed beside the targets.
FLOORS = [
    ("hand-written: ten boxed tasks in one trip vs one task", "raw-spawn-blocking-ten", "raw-spawn-blocking"),
    ("ten sync tasks vs the hand-written ten in one trip", "ten-sync", "raw-spawn-blocking-ten"),
]
RAN_AT_STOP_TARGET = 0.99


def log(message):
    print(message, file=sys.stderr, flush=True)


def run(command, **kwargs):
    return subprocess.run(command, check=True, text=True, **kwargs)


def output(command):
    try:
        return subprocess.run(
            command, check=True, text=True, capture_output=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


# --- setup -----------------------------------------------------------------------------------


def ensure_wrk(install):
    if shutil.which("wrk"):
        return
    if not install:
        sys.exit("wrk is not installed: apt-get install -y wrk (or drop --no-install)")
    prefix = []
    if os.geteuid() != 0:
        if not shutil.which("sudo"):
            sys.exit("wrk is missing and this is not root: install it with apt-get install -y wrk")
        prefix = ["sudo"]
    log("installing wrk from Debian's packages (apt-get)")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    run(prefix + ["apt-get", "update", "-qq"], env=env)
    run(prefix + ["apt-get", "install", "-y", "-qq", "wrk"], env=env)
    if not shutil.which("wrk"):
        sys.exit("apt-get did not install wrk")


def build_server(build):
    metadata = json.loads(
        run(
            ["cargo", "metadata", "--format-version", "1", "--no-deps"],
            cwd=ROOT,
            capture_output=True,
        ).stdout
    )
    binary = Path(metadata["target_directory"]) / "release" / "load_server"
    if build:
        log("building load_server (release)")
        run(
            ["cargo", "build", "--release", "-p", "background-tasks-benches", "--bin", "load_server"],
            cwd=ROOT,
        )
    if not binary.exists():
        sys.exit(f"{binary} does not exist: build it, or drop --no-build")
    return binary


def machine():
    lscpu = output(["lscpu"]) or ""
    model = next(
        (line.split(":", 1)[1].strip() for line in lscpu.splitlines() if line.startswith("Model name")),
        platform.processor() or "unknown",
    )
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "kernel": platform.release(),
        "rustc": output(["rustc", "--version"]),
        "wrk": wrk_version(),
        "python": platform.python_version(),
    }


def wrk_version():
    """wrk's first line for `-v` (it exits non-zero after printing its usage)."""
    if not shutil.which("wrk"):
        return None
    result = subprocess.run(["wrk", "-v"], text=True, capture_output=True)
    lines = (result.stdout + result.stderr).splitlines()
    return lines[0].strip() if lines else None


def pin(cpu):
    """The command prefix that pins to `cpu`, or nothing when pinning is off or impossible."""
    if cpu is None or not shutil.which("taskset"):
        return []
    return ["taskset", "-c", str(cpu)]


# --- one run ---------------------------------------------------------------------------------


class Server:
    """A load_server process: started pinned, stopped by closing its stdin."""

    def __init__(self, binary, runtime, scenario, cpu, around_router=False):
        # A file, not a pipe: a server that writes much to stderr must never block on it.
        self.stderr = tempfile.TemporaryFile(mode="w+")
        self.process = subprocess.Popen(
            pin(cpu) + [str(binary), runtime, scenario] + (["--around-router"] if around_router else []),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            text=True,
        )
        line = self._first_line(timeout=30)
        match = re.match(r"listening on (http://\S+)", line or "")
        if not match:
            self.stop()
            self.stderr.seek(0)
            raise RuntimeError(
                f"load_server {runtime} {scenario} did not start: {line!r}\n{self.stderr.read()}"
            )
        self.url = match.group(1)

    def _first_line(self, timeout):
        with selectors.DefaultSelector() as selector:
            selector.register(self.process.stdout, selectors.EVENT_READ)
            if not selector.select(timeout):
                return None
        return self.process.stdout.readline().strip()

    def stats(self):
        with urllib.request.urlopen(self.url + "/stats", timeout=10) as response:
            return json.loads(response.read())

    def stop(self):
        """Closes stdin (the server prints its stats and exits); kills it if it lingers."""
        try:
            self.process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.communicate()
        self.stderr.close()


def wrk(url, seconds, connections, threads, cpu):
    command = pin(cpu) + [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--latency",
        url + "/",
    ]
    result = subprocess.run(command, text=True, capture_output=True)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{result.stdout}{result.stderr}")
    return parse_wrk(result.stdout)


UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def parse_wrk(text):
    def latency_ms(value):
        number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()
        return float(number) * UNITS[unit]

    rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
    total = re.search(r"(\d+) requests in", text)
    percentiles = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", text, re.M))
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    if not rps or not total:
        raise RuntimeError(f"cannot read wrk's output:\n{text}")
    return {
        "rps": float(rps.group(1)),
        "requests": int(total.group(1)),
        "p50_ms": latency_ms(percentiles["50"]) if "50" in percentiles else None,
        "p99_ms": latency_ms(percentiles["99"]) if "99" in percentiles else None,
        "socket_errors": sum(int(n) for n in errors.groups()) if errors else 0,
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
    }


def one_run(binary, runtime, scenario, options):
    server = Server(binary, runtime, scenario, options.server_cpu, options.around_router)
    try:
        if options.warm_up > 0:
            wrk(server.url, options.warm_up, options.connections, options.threads, options.client_cpu)
            time.sleep(0.2)  # let the warm-up's tasks finish: they are not part of the count
        before = server.stats()
        load = wrk(server.url, options.duration, options.connections, options.threads, options.client_cpu)
        at_stop = server.stats()  # right when the load stops
        time.sleep(0.5)
        later = server.stats()
    finally:
        server.stop()

    def grew(stats, key):
        return stats[key] - before[key]

    requests = grew(at_stop, "requests")
    queued = grew(at_stop, "queued")
    return {
        **load,
        "served": requests,
        "queued": queued,
        "ran_at_stop": grew(at_stop, "completed"),
        "ran_fraction_at_stop": grew(at_stop, "completed") / queued if queued else None,
        "ran_fraction_500ms_later": grew(later, "completed") / grew(later, "queued")
        if grew(later, "queued")
        else None,
        "spawns_per_request": grew(at_stop, "spawns") / requests if requests else None,
        "blocking_trips_per_request": grew(at_stop, "blocking_trips") / requests if requests else None,
    }


# --- summary ---------------------------------------------------------------------------------


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def paired_change(before, after):
    """`after` against `before`, runs of the same rounds: the change of the median req/s, and the
    median of each round's own after / before ratio (the two back to back, so drift in the
    machine's load cancels out of it), both in percent."""
    change = (median([r["rps"] for r in after]) / median([r["rps"] for r in before]) - 1) * 100
    paired = (statistics.median(a["rps"] / b["rps"] for b, a in zip(before, after)) - 1) * 100
    return change, paired


def summarize(rounds):
    keys = [
        "rps",
        "p50_ms",
        "p99_ms",
        "ran_fraction_at_stop",
        "ran_fraction_500ms_later",
        "spawns_per_request",
        "blocking_trips_per_request",
    ]
    summary = {key: median([r[key] for r in rounds]) for key in keys}
    summary["rps_min"] = min(r["rps"] for r in rounds)
    summary["rps_max"] = max(r["rps"] for r in rounds)
    summary["errors"] = sum(r["socket_errors"] + r["non_2xx"] for r in rounds)
    return summary


def fmt(value, spec, missing="-"):
    return missing if value is None else format(value, spec)


def tables(results, runtimes, scenarios):
    lines = []
    for runtime in runtimes:
        medians = results[runtime]
        bare = medians.get("bare", {}).get("median", {}).get("rps")
        lines += [
            f"### {runtime}",
            "",
            "| scenario | median req/s | min–max | vs bare | p50 ms | p99 ms | tasks run at stop | "
            "spawns/req | blocking trips/req | errors |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for scenario in scenarios:
            if scenario not in medians:
                continue
            m = medians[scenario]["median"]
            lines.append(
                f"| {scenario} | {m['rps']:,.0f} | {m['rps_min']:,.0f}–{m['rps_max']:,.0f} | "
                f"{fmt(m['rps'] / bare if bare else None, '.3f')} | {fmt(m['p50_ms'], '.2f')} | "
                f"{fmt(m['p99_ms'], '.2f')} | {fmt(m['ran_fraction_at_stop'], '.2%')} | "
                f"{fmt(m['spawns_per_request'], '.2f')} | "
                f"{fmt(m['blocking_trips_per_request'], '.2f')} | {m['errors']} |"
            )
        lines.append("")

    lines += [
        "### Targets (ratios of medians measured in the same run)",
        "",
        "| target | " + " | ".join(runtimes) + " | needs |",
        "|---|" + "---:|" * len(runtimes) + "---:|",
    ]

    def cell(value, ok):
        if value is None:
            return "-"
        return f"{value} {'✓' if ok else '✗'}"

    for name, numerator, denominator, minimum in THROUGHPUT_TARGETS:
        cells = []
        for runtime in runtimes:
            a = results[runtime].get(numerator, {}).get("median", {}).get("rps")
            b = results[runtime].get(denominator, {}).get("median", {}).get("rps")
            ratio = a / b if a and b else None
            cells.append(cell(fmt(ratio, ".3f", None), ratio is not None and ratio >= minimum))
        lines.append(f"| {name} | " + " | ".join(cells) + f" | ≥ {minimum} |")

    for name, numerator, denominator in FLOORS:
        cells = []
        for runtime in runtimes:
            a = results[runtime].get(numerator, {}).get("median", {}).get("rps")
            b = results[runtime].get(denominator, {}).get("median", {}).get("rps")
            cells.append(fmt(a / b if a and b else None, ".3f"))
        lines.append(f"| {name} | " + " | ".join(cells) + " | (reference) |")

    cells = []
    for runtime in runtimes:
        fractions = [
            results[runtime][s]["median"]["ran_fraction_at_stop"]
            for s in scenarios
            if s in TASKS_PER_REQUEST and s in results[runtime]
        ]
        fractions = [f for f in fractions if f is not None]
        worst = min(fractions) if fractions else None
        cells.append(cell(fmt(worst, ".2%", None), worst is not None and worst >= RAN_AT_STOP_TARGET))
    lines.append("| tasks already run when the load stops (worst scenario) | " + " | ".join(cells) + " | ≥ 99% |")

    cells = []
    for runtime in runtimes:
        spawns = [
            results[runtime][s]["median"]["spawns_per_request"]
            for s in ("one-async", "ten-async")
            if s in results[runtime]
        ]
        spawns = [s for s in spawns if s is not None]
        worst = max(spawns) if spawns else None
        cells.append(cell(fmt(worst, ".2f", None), worst is not None and worst <= 1.0))
    lines.append("| spawns per request with async tasks (one or ten) | " + " | ".join(cells) + " | ≤ 1 |")
    lines.append("")
    return "\n".join(lines)


# --- chart -----------------------------------------------------------------------------------


def nice_ceiling(value):
    if value <= 0:
        return 1
    magnitude = 10 ** len(str(int(value))) / 10
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def short(value):
    if value >= 1e6:
        return f"{value / 1e6:.1f}M"
    if value >= 1e3:
        return f"{value / 1e3:.0f}k"
    return f"{value:.0f}"


def svg_chart(results, runtimes, scenarios, title):
    colors = {
        "tokio": "#4477aa",
        "smol": "#ee6677",
        "async-std": "#228833",
        "actix": "#aa7744",
        "poem": "#66ccee",
        "rocket": "#aa3377",
    }
    bar, gap = 16, 22
    left, right, top, bottom = 70, 110, 60, 120  # the last rotated label needs room on the right
    group = bar * len(runtimes) + gap
    width = left + right + group * len(scenarios)
    height = 420
    plot_h = height - top - bottom
    peak = max(
        (results[r][s]["median"]["rps_max"] for r in runtimes for s in scenarios if s in results[r]),
        default=1,
    )
    y_max = nice_ceiling(peak)

    def y(value):
        return top + plot_h - plot_h * value / y_max

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{width / 2}" y="20" text-anchor="middle" font-size="14">{title}</text>',
        f'<text x="{width / 2}" y="37" text-anchor="middle" fill="#555">median req/s of the '
        f"rounds (whiskers: min–max); higher is better</text>",
    ]
    for i in range(6):
        value = y_max * i / 5
        out.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(value):.1f}" y2="{y(value):.1f}" '
            f'stroke="#ddd"/>'
        )
        out.append(
            f'<text x="{left - 6}" y="{y(value) + 4:.1f}" text-anchor="end">{short(value)}</text>'
        )
    out.append(
        f'<text transform="translate(16 {top + plot_h / 2}) rotate(-90)" text-anchor="middle">'
        f"requests/s</text>"
    )
    for g, scenario in enumerate(scenarios):
        x0 = left + gap / 2 + g * group
        for r, runtime in enumerate(runtimes):
            entry = results[runtime].get(scenario)
            if not entry:
                continue
            m = entry["median"]
            x = x0 + r * bar
            out.append(
                f'<rect x="{x:.1f}" y="{y(m["rps"]):.1f}" width="{bar - 2}" '
                f'height="{top + plot_h - y(m["rps"]):.1f}" fill="{colors.get(runtime, "#999")}">'
                f"<title>{runtime} {scenario}: {m['rps']:,.0f} req/s</title></rect>"
            )
            cx = x + (bar - 2) / 2
            out.append(
                f'<line x1="{cx:.1f}" x2="{cx:.1f}" y1="{y(m["rps_min"]):.1f}" '
                f'y2="{y(m["rps_max"]):.1f}" stroke="black"/>'
            )
            out.append(
                f'<text transform="translate({cx + 3:.1f} {y(m["rps_max"]) - 4:.1f}) rotate(-90)" '
                f'font-size="9">{short(m["rps"])}</text>'
            )
        label_x = x0 + bar * len(runtimes) / 2
        out.append(
            f'<text transform="translate({label_x:.1f} {top + plot_h + 14}) rotate(35)" '
            f'text-anchor="start">{scenario}</text>'
        )
    out.append(
        f'<line x1="{left}" x2="{width - right}" y1="{top + plot_h}" y2="{top + plot_h}" '
        f'stroke="black"/>'
    )
    for r, runtime in enumerate(runtimes):
        lx = width - right - 110 * (len(runtimes) - r)
        out.append(
            f'<rect x="{lx}" y="{height - 22}" width="12" height="12" '
            f'fill="{colors.get(runtime, "#999")}"/>'
        )
        out.append(f'<text x="{lx + 16}" y="{height - 12}">{runtime}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


# --- main ------------------------------------------------------------------------------------


def parse_args():
    parser = argparse.ArgumentParser(
        description="HTTP load benchmark: wrk against load_server, medians of interleaved rounds."
    )
    parser.add_argument("--rounds", type=int, default=5, help="rounds per configuration (5)")
    parser.add_argument("--duration", type=int, default=5, help="seconds of load per run (5)")
    parser.add_argument(
        "--warm-up", type=int, default=1, help="seconds of warm-up per run, 0 for none (1)"
    )
    parser.add_argument("--connections", type=int, default=64, help="wrk connections (64)")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (1: it has one CPU)")
    parser.add_argument("--runtimes", default=",".join(RUNTIMES), help="comma-separated (all)")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS), help="comma-separated (all)")
    parser.add_argument("--server-cpu", type=int, default=0, help="CPU for the server (0)")
    parser.add_argument("--client-cpu", type=int, default=1, help="CPU for wrk (1)")
    parser.add_argument(
        "--around-router",
        action="store_true",
        help="install the layer around the Router instead of with Router::layer",
    )
    parser.add_argument("--no-pin", action="store_true", help="do not pin with taskset")
    parser.add_argument("--no-build", action="store_true", help="use the built load_server as is")
    parser.add_argument("--no-install", action="store_true", help="do not apt-get install wrk")
    parser.add_argument(
        "--out-dir", type=Path, default=ROOT / "benches" / "results", help="(benches/results)"
    )
    options = parser.parse_args()
    options.runtimes = [r for r in options.runtimes.split(",") if r]
    options.scenarios = [s for s in options.scenarios.split(",") if s]
    for name in options.runtimes:
        if name not in RUNTIMES:
            parser.error(f"unknown runtime {name}; use {', '.join(RUNTIMES)}")
    for name in options.scenarios:
        if name not in SCENARIOS:
            parser.error(f"unknown scenario {name}; use {', '.join(SCENARIOS)}")
    if options.rounds < 1 or options.duration < 1 or options.warm_up < 0:
        parser.error("--rounds and --duration must be at least 1 (wrk takes whole seconds)")
    if options.no_pin:
        options.server_cpu = options.client_cpu = None
    elif (os.cpu_count() or 1) < 2:
        log("fewer than 2 CPUs: server and wrk share the one there is (results mean little)")
        options.server_cpu = options.client_cpu = 0
    if not shutil.which("taskset") and not options.no_pin:
        log("taskset not found (util-linux): running unpinned")
    return options


def main():
    options = parse_args()
    ensure_wrk(not options.no_install)
    binary = build_server(not options.no_build)

    configurations = [
        (r, s) for r in options.runtimes for s in options.scenarios if s not in NOT_ON.get(r, ())
    ]
    per_run = options.duration + max(options.warm_up, 0) + 1.2
    log(
        f"{len(configurations)} configurations x {options.rounds} rounds, about "
        f"{len(configurations) * options.rounds * per_run / 60:.1f} minutes; server on CPU "
        f"{options.server_cpu}, wrk on CPU {options.client_cpu}"
    )
    rounds = {configuration: [] for configuration in configurations}
    for round_index in range(options.rounds):
        # Interleaved, and rotated so that no configuration always runs first or after the same one.
        shift = round_index * max(1, len(configurations) // options.rounds)
        order = configurations[shift % len(configurations):] + configurations[: shift % len(configurations)]
        for runtime, scenario in order:
            result = one_run(binary, runtime, scenario, options)
            rounds[(runtime, scenario)].append(result)
            log(
                f"round {round_index + 1}/{options.rounds} {runtime:9} {scenario:18} "
                f"{result['rps']:>10,.0f} req/s  p99 {fmt(result['p99_ms'], '.2f')} ms  "
                f"run at stop {fmt(result['ran_fraction_at_stop'], '.2%')}"
            )

    results = {runtime: {} for runtime in options.runtimes}
    for (runtime, scenario), runs in rounds.items():
        results[runtime][scenario] = {"median": summarize(runs), "rounds": runs}

    options.out_dir.mkdir(parents=True, exist_ok=True)
    settings = {
        key: getattr(options, key)
        for key in (
            "rounds",
            "duration",
            "warm_up",
            "connections",
            "threads",
            "server_cpu",
            "client_cpu",
            "runtimes",
            "scenarios",
            "around_router",
        )
    }
    document = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": machine(),
        "settings": settings,
        "scenarios": {s: SCENARIO_NOTES[s] for s in options.scenarios},
        "results": results,
    }
    (options.out_dir / "load.json").write_text(json.dumps(document, indent=2) + "\n")
    title = (
        f"load_server under wrk: {options.rounds} round{'s' if options.rounds > 1 else ''} × "
        f"{options.duration} s, {options.connections} connections"
        + (", layer around the Router" if options.around_router else "")
    )
    (options.out_dir / "load.svg").write_text(
        svg_chart(results, options.runtimes, options.scenarios, title)
    )
    markdown = tables(results, options.runtimes, options.scenarios)
    (options.out_dir / "load.md").write_text(markdown)
    print(markdown)
    log(f"wrote {options.out_dir / 'load.json'}, load.svg and load.md")


if __name__ == "__main__":
    main()
