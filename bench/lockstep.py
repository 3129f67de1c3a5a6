#!/usr/bin/python3
"""Runs two benchmark processes in lockstep and prints the ratio of their step times.

Both processes load first; then they take turns, one step each, so each pair of steps sees the same machine
(a shared host's speed drifts by more than the effects measured here). The order inside a pair alternates
(A B, B A, ...), which cancels any advantage of going first or second. The ratio is the median of the
per-pair ratios A/B, printed with its spread; the first --skip pairs (allocation and cache warm-up) are left out.

Protocol, line by line: a worker prints "lockstep ready" once set up, runs one step per "step" line on its
stdin and answers "lockstep done MS [key=value ...]"; "quit" (or end of input) ends it, and whatever it
prints then is its own summary. Any other line a worker prints is passed through, prefixed with its name.

  lockstep.py --steps 20 --skip 4 --side NAME 'COMMAND' --side NAME 'COMMAND' [--label 'step time']
"""
import argparse
import shlex
import statistics
import subprocess
import sys


class Worker:
    def __init__(self, name, command):
        self.name = name
        self.proc = subprocess.Popen(shlex.split(command), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                     bufsize=1)

    def _reply(self, what):
        """Passes log lines through until the next protocol line; returns its words."""
        for line in self.proc.stdout:
            line = line.rstrip("\n")
            if line.startswith("lockstep "):
                return line.split()[1:]
            print(f"[{self.name}] {line}", flush=True)
        code = self.proc.wait()
        sys.exit(f"lockstep.py: {self.name} ended (exit {code}) while {what}")

    def ready(self):
        words = self._reply("loading")
        if words[:1] != ["ready"]:
            sys.exit(f"lockstep.py: {self.name} sent {' '.join(words)!r} instead of 'lockstep ready'")

    def step(self):
        self.proc.stdin.write("step\n")
        self.proc.stdin.flush()
        words = self._reply("running a step")
        if words[:1] != ["done"] or len(words) < 2:
            sys.exit(f"lockstep.py: {self.name} sent {' '.join(words)!r} instead of 'lockstep done MS ...'")
        extras = dict(w.split("=", 1) for w in words[2:] if "=" in w)
        return float(words[1]), extras

    def finish(self):
        self.proc.stdin.write("quit\n")
        self.proc.stdin.close()
        for line in self.proc.stdout:
            print(f"[{self.name}] {line.rstrip()}", flush=True)
        code = self.proc.wait()
        if code != 0:
            sys.exit(f"lockstep.py: {self.name} exited with {code}")


def load_average():
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "unknown"


def quantile(values, q):
    s = sorted(values)
    return s[int(q * (len(s) - 1) + 0.5)]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--skip", type=int, default=4, help="warm-up pairs left out of the medians")
    ap.add_argument("--side", nargs=2, action="append", metavar=("NAME", "COMMAND"), required=True)
    ap.add_argument("--label", default="step time", help="what the ratio line calls the measurement")
    args = ap.parse_args()
    if len(args.side) != 2:
        ap.error("exactly two --side NAME COMMAND")
    if args.steps <= args.skip:
        ap.error(f"--steps ({args.steps}) must exceed --skip ({args.skip})")
    (na, ca), (nb, cb) = args.side
    load_before = load_average()
    a, b = Worker(na, ca), Worker(nb, cb)
    a.ready()
    b.ready()
    ta, tb, ratios = [], [], []
    for i in range(args.steps):
        order = (a, b) if i % 2 == 0 else (b, a)
        got = {w.name: w.step() for w in order}
        ma, mb = got[na][0], got[nb][0]
        print(f"pair {i + 1:3d}: {na} {ma:9.2f} ms, {nb} {mb:9.2f} ms, ratio {ma / mb:.3f} ({order[0].name} first)",
              flush=True)
        if i >= args.skip:
            ta.append(ma)
            tb.append(mb)
            ratios.append(ma / mb)
    a.finish()
    b.finish()
    n = len(ratios)
    print(f"load average (1, 5, 15 min): {load_before} at the start, {load_average()} at the end")
    print(f"median step ms (pairs {args.skip + 1}-{args.steps}): {na} {statistics.median(ta):.2f}, "
          f"{nb} {statistics.median(tb):.2f}")
    print(f"{args.label} ratio {na}/{nb}: {statistics.median(ratios):.3f} (spread: p25-p75 "
          f"{quantile(ratios, 0.25):.3f}-{quantile(ratios, 0.75):.3f}, min-max {min(ratios):.3f}-{max(ratios):.3f}, "
          f"{n} pairs)")


if __name__ == "__main__":
    main()
