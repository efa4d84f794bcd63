#!/usr/bin/env python3
"""What the status page's observer costs under load: load_server on tokio, one-sync and one-async,
with the observer off and on, the two interleaved in every round (one build, the same run).

Run with: python3 benches/status_cost.py            (defaults: 5 rounds x 5 s per configuration)

Reuses load.py's server, wrk and parsing; `LOAD_SERVER_OBSERVER=1` in the server's environment
turns the observer on (background_tasks_benches::OBSERVER_VAR). Prints one table: median req/s
and p99 off and on, and the change; the median of each round's own on/off ratio (the two runs of
a round are back to back, so drift in the machine's load cancels out of it); also each run's
server RSS (VmHWM) after the load.

With `--rss-requests N` it measures memory instead: one server, observer on, one-async, wrk in
slices until N requests have been answered, printing the server's resident memory (VmRSS) after
each slice: flat once the observer's window is full.
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import load  # noqa: E402

SCENARIOS = ["one-sync", "one-async"]
VARIANTS = ["off", "on"]


def status_kib(pid, field):
    """A memory figure of /proc/{pid}/status, in KiB: `VmHWM` (peak) or `VmRSS` (now)."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return None


def one_run(binary, scenario, variant, options):
    if variant == "on":
        os.environ["LOAD_SERVER_OBSERVER"] = "1"
    else:
        os.environ.pop("LOAD_SERVER_OBSERVER", None)
    server = load.Server(binary, "tokio", scenario, options.server_cpu)
    try:
        load.wrk(server.url, 1, options.connections, 1, options.client_cpu)  # warm-up
        result = load.wrk(server.url, options.duration, options.connections, 1, options.client_cpu)
        result["rss_kib"] = status_kib(server.process.pid, "VmHWM")
    finally:
        server.stop()
        os.environ.pop("LOAD_SERVER_OBSERVER", None)
    return result


def rss_over_requests(binary, options):
    """Serves `options.rss_requests` requests with the observer on, RSS after each slice."""
    os.environ["LOAD_SERVER_OBSERVER"] = "1"
    server = load.Server(binary, "tokio", "one-async", options.server_cpu)
    answered = 0
    try:
        print(f"\nobserver on, tokio, one-async, wrk -c{options.connections}: server RSS by requests answered\n")
        print("| requests answered | RSS MiB | non-2xx + socket errors |")
        print("|---|---|---|")
        while answered < options.rss_requests:
            result = load.wrk(server.url, options.duration, options.connections, 1, options.client_cpu)
            answered += result["requests"]
            faults = result["non_2xx"] + result["socket_errors"]
            print(f"| {answered:,} | {status_kib(server.process.pid, 'VmRSS') / 1024:.1f} | {faults} |", flush=True)
        stats = server.stats()
    finally:
        server.stop()
        os.environ.pop("LOAD_SERVER_OBSERVER", None)
    print(f"\nserver's own count: {json.dumps(stats)}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--server-cpu", type=int, default=0)
    parser.add_argument("--client-cpu", type=int, default=1)
    parser.add_argument("--no-build", action="store_true")
    parser.add_argument("--rss-requests", type=int, default=0,
                        help="measure RSS over this many requests instead (observer on)")
    options = parser.parse_args()
    load.ensure_wrk(True)
    binary = load.build_server(not options.no_build)
    if options.rss_requests:
        rss_over_requests(binary, options)
        return
    runs = {(s, v): [] for s in SCENARIOS for v in VARIANTS}
    for round_ in range(options.rounds):
        for scenario in SCENARIOS:
            # Alternate which goes first, so that drift over the run favours neither.
            order = VARIANTS if round_ % 2 == 0 else list(reversed(VARIANTS))
            for variant in order:
                result = one_run(binary, scenario, variant, options)
                runs[(scenario, variant)].append(result)
                load.log(f"round {round_ + 1} {scenario} observer {variant}: {result['rps']:.0f} req/s")
    print(f"\nobserver off vs on, tokio, {options.rounds} rounds x {options.duration} s, "
          f"{options.connections} connections, medians:\n")
    print("| scenario | off req/s | on req/s | change | median round ratio | off p99 ms | on p99 ms | off RSS MiB | on RSS MiB |")
    print("|---|---|---|---|---|---|---|---|---|")
    for scenario in SCENARIOS:
        off, on = runs[(scenario, "off")], runs[(scenario, "on")]
        med = lambda rs, key: statistics.median(r[key] for r in rs if r.get(key) is not None)
        change, paired = load.paired_change(off, on)
        print(f"| {scenario} | {med(off, 'rps'):.0f} | {med(on, 'rps'):.0f} | {change:+.1f}% | {paired:+.1f}% | "
              f"{med(off, 'p99_ms'):.2f} | {med(on, 'p99_ms'):.2f} | "
              f"{med(off, 'rss_kib') / 1024:.1f} | {med(on, 'rss_kib') / 1024:.1f} |")
    for scenario in SCENARIOS:
        for variant in VARIANTS:
            rates = ", ".join(f"{r['rps']:.0f}" for r in runs[(scenario, variant)])
            print(f"{scenario} {variant}: {rates}")


if __name__ == "__main__":
    main()
