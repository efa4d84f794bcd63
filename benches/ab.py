#!/usr/bin/env python3
"""Two builds of load_server against each other in one run: a commit before a change ("a") and
after it ("b"), the same scenarios, interleaved, for same-run before/after ratios.

Run with: python3 benches/ab.py REV_A [REV_B] [--scenarios ...] [--rounds 7 --duration 2]

Each revision is checked out in a git worktree under target/ab/ and built there in release mode
(its own target directory: builds never share one); REV_B defaults to the working tree as it is.
Every round runs each scenario on a, then b (the order flipping every round, so drift in the
machine's load favours neither). Prints, per scenario, the median req/s of each, the change of
medians, and the median of each round's own b / a ratio; and each scenario's ratio to `bare`
(no layer) of the same build, the raw counterpart measured in the same run.
"""

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import load  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def build(rev):
    """The load_server binary of `rev` (None: this working tree), built in release mode."""
    if rev is None:
        return load.build_server(True)
    tree = ROOT / "target" / "ab" / rev
    if not tree.exists():
        load.run(["git", "worktree", "add", "--detach", str(tree), rev], cwd=ROOT)
    load.log(f"building load_server at {rev} (release)")
    load.run(
        ["cargo", "build", "--release", "-p", "background-tasks-benches", "--bin", "load_server"],
        cwd=tree,
    )
    return tree / "target" / "release" / "load_server"


def one_run(binary, scenario, options):
    server = load.Server(binary, options.runtime, scenario, options.server_cpu)
    try:
        load.wrk(server.url, 1, options.connections, 1, options.client_cpu)  # warm-up
        return load.wrk(server.url, options.duration, options.connections, 1, options.client_cpu)
    finally:
        server.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rev_a", help="the revision before")
    parser.add_argument("rev_b", nargs="?", help="the revision after (default: the working tree)")
    parser.add_argument("--runtime", default="tokio")
    parser.add_argument("--scenarios", default="bare,layer-empty,one-async,one-sync,ten-async,ten-sync")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--duration", type=int, default=2)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--server-cpu", type=int, default=0)
    parser.add_argument("--client-cpu", type=int, default=1)
    options = parser.parse_args()
    scenarios = [s for s in options.scenarios.split(",") if s]
    load.ensure_wrk(True)
    binaries = {"a": build(options.rev_a), "b": build(options.rev_b)}
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                          text=True).stdout.strip()
    names = {"a": options.rev_a, "b": options.rev_b or f"{head} + working tree"}

    runs = {(s, v): [] for s in scenarios for v in "ab"}
    for round_ in range(options.rounds):
        for scenario in scenarios:
            order = "ab" if round_ % 2 == 0 else "ba"
            for variant in order:
                result = one_run(binaries[variant], scenario, options)
                runs[(scenario, variant)].append(result)
                load.log(f"round {round_ + 1} {scenario} {variant}: {result['rps']:.0f} req/s")

    med = lambda rs: statistics.median(r["rps"] for r in rs)
    print(f"\na = {names['a']}, b = {names['b']}; {options.runtime}, {options.rounds} rounds x "
          f"{options.duration} s, {options.connections} connections, medians:\n")
    print("| scenario | a req/s | b req/s | change | median round ratio | a ÷ bare(a) | b ÷ bare(b) |")
    print("|---|---|---|---|---|---|---|")
    for scenario in scenarios:
        a, b = runs[(scenario, "a")], runs[(scenario, "b")]
        change, paired = load.paired_change(a, b)
        to_bare = lambda v: (f"{med(runs[(scenario, v)]) / med(runs[('bare', v)]):.3f}"
                             if "bare" in scenarios else "")
        print(f"| {scenario} | {med(a):.0f} | {med(b):.0f} | {change:+.1f}% | {paired:+.1f}% | "
              f"{to_bare('a')} | {to_bare('b')} |")
    for scenario in scenarios:
        for variant in "ab":
            rates = ", ".join(f"{r['rps']:.0f}" for r in runs[(scenario, variant)])
            print(f"{scenario} {variant}: {rates}")


if __name__ == "__main__":
    main()
