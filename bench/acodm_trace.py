#!/usr/bin/env python3
"""What an AC-ODM run's agent did, from its metrics.jsonl (issue 10, acceptance 4).

    bench/acodm_trace.py RUN_DIR [RUN_DIR ...]
    bench/acodm_trace.py --temperatures 0.25,0.5,1 RUN_DIR [RUN_DIR ...]

For each run: the largest excess of the actor's greedy largest weight over the closed-form optimum's
(max over steps of greedy_max_weight - optimum_max_weight; the collapse is gone when it stays below 0.1),
and every 10% of the steps the sampled weights' largest entry and entropy, the reward, critic loss, actor
KL to the prior, actor entropy and the counters.

With --temperatures: the temperature's effect on the closed-form optimum at the smoothed scores the run logged
(policy_acodm/score/* or policy_alignment/score/*), uniform prior, before the floor: the mean over the second
half of the steps of its largest weight and its entropy, for each temperature.
"""
import json
import math
import sys


def num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")


def read_steps(d):
    steps = []
    with open(f"{d}/metrics.jsonl") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            try:
                r = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut short by a kill
            if r.get("type") == "step":
                steps.append(r)
    return steps


def sweep(dirs, temperatures):
    for d in dirs:
        steps = read_steps(d)
        late = [r for r in steps if 2 * r["step"] >= steps[-1]["step"]] if steps else []
        print(f"{d}: closed-form optimum at the logged scores, steps {late[0]['step'] if late else '-'}..{steps[-1]['step'] if steps else '-'}")
        print("   tau  max weight  entropy (nats)")
        for tau in temperatures:
            mx = ent = 0.0
            n = 0
            for r in late:
                scores = [num(v) for k, v in r.items() if "/score/" in k]
                if not scores or any(v != v for v in scores):
                    continue
                m = max(scores)
                e = [math.exp((v - m) / tau) for v in scores]
                z = sum(e)
                a = [v / z for v in e]
                mx += max(a)
                ent -= sum(v * math.log(v) for v in a if v > 0)
                n += 1
            print(f"  {tau:4g}  {mx / n if n else float('nan'):10.3f}  {ent / n if n else float('nan'):14.3f}")


def main(dirs):
    for d in dirs:
        steps = read_steps(d)
        if not steps:
            print(f"{d}: no steps")
            continue
        excess = [num(r.get("policy_acodm/greedy_max_weight")) - num(r.get("policy_acodm/optimum_max_weight")) for r in steps]
        excess = [e for e in excess if e == e]
        print(f"{d}: {len(steps)} steps; max(greedy max weight - optimum max weight) = "
              + (f"{max(excess):.4f} over {len(excess)} steps" if excess else "n/a (no actor steps)"))
        keys = ["reward", "critic_loss", "kl", "entropy", "temperature", "updates", "degenerate_steps", "skipped_rewards"]
        print("  step  max_w  H(w)   " + "  ".join(f"{k:>11}" for k in keys))
        for r in steps[:: max(1, len(steps) // 10)] + [steps[-1]]:
            w = [num(v) for v in r["weights"].values()]
            h = -sum(v * math.log(v) for v in w if v > 0)
            print(f"  {r['step']:4d}  {max(w):.3f}  {h:.3f}  " + "  ".join(f"{num(r.get('policy_acodm/' + k)):11.4f}" for k in keys))


if __name__ == "__main__":
    args = sys.argv[1:]
    if args[:1] == ["--temperatures"] and len(args) >= 3:
        sweep(args[2:], [float(t) for t in args[1].split(",")])
    elif args and not args[0].startswith("--"):
        main(args)
    else:
        print(__doc__.strip())
        sys.exit(2)
