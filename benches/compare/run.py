#!/usr/bin/env python3
"""Runs tapeless's criterion benchmarks of problems L and N, then the JAX and PyTorch versions,
on the same machine one after the other, and prints a table of median times and ratios with
whether the values agree.

Run from anywhere: python3 benches/compare/run.py [--seconds 2] [--threads 1]
Installs nothing: JAX and PyTorch are optional (pip install jax jaxlib torch numpy); a tool
that is missing is reported as such and its column stays empty.
"""

import argparse
import importlib.util
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

# (row, criterion group, criterion id, the values that row's computation produces)
ROWS = [
    ("L: J", "lorenz96 4D-Var", "primal J", ["J"]),
    ("L: grad J", "lorenz96 4D-Var", "gradient, generated", ["|grad J|"]),
    ("L: H v", "compare, problem L", "hessian-vector", ["|H v|"]),
    ("L: dL/deta (K=5)", "hypergradients, problem L, K = 5", "dL/deta, method 1",
     ["L", "dL/deta"]),
    ("L: dL/dtheta (K=5)", "hypergradients, problem L, K = 5", "dL/dtheta (40), method 2",
     ["|dL/dtheta|"]),
    ("N: forward inner solve (K=5)", "problem N", "forward inner solve", ["N: L"]),
    ("N: hypergradient dL/dtheta", "problem N", "hypergradient",
     ["N: |dL/dtheta|", "N: dL/dW1 first 5", "N: dL/dW2 first 5", "N: dL/dW3 first 5"]),
]
# tapeless's other problem-L gradients, printed under the table for reference.
EXTRA = [
    ("lorenz96 4D-Var", "gradient, hand-written"),
    ("lorenz96 4D-Var", "gradient, integrator, store all"),
]
TOLERANCE = 1e-12


def arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0,
                        help="measuring time per quantity in the Python scripts (default 2)")
    parser.add_argument("--threads", type=int, default=1,
                        help="intra-op threads for JAX and PyTorch (default 1, like tapeless)")
    parser.add_argument("--criterion", default="--warm-up-time 1 --measurement-time 3",
                        help="options passed to the criterion benchmarks")
    parser.add_argument("--skip-tapeless", action="store_true",
                        help="do not run cargo bench (tapeless's column stays empty)")
    return parser.parse_args()


def have(module):
    return importlib.util.find_spec(module) is not None


def target_directory():
    out = subprocess.run(["cargo", "metadata", "--format-version", "1", "--no-deps"],
                         cwd=ROOT, check=True, capture_output=True, text=True).stdout
    return json.loads(out)["target_directory"]


def bench_targets():
    with open(os.path.join(ROOT, "Cargo.toml")) as f:
        return set(re.findall(r'\[\[bench\]\]\s*name\s*=\s*"([^"]+)"', f.read()))


def run_tapeless(args):
    """Runs the benches; returns {(group, id): {"seconds": median, "min": fastest sample's time
    per iteration}} measured in this run, and the values they print as
    `value <name> = <number>` lines."""
    wanted = [("lorenz96", "primal J$|gradient, generated$|gradient, hand-written$"
                           "|gradient, integrator, store all$"),
              ("hyper", "dL/deta, method 1$|dL/dtheta \\(40\\), method 2$"),
              ("compare_l96", None), ("problem_n", None)]
    targets = bench_targets()
    started = time.time()
    values = {}
    for bench, pattern in wanted:
        if bench not in targets:
            print(f"tapeless: no bench `{bench}` in Cargo.toml, its rows are not measured")
            continue
        command = ["cargo", "bench", "--bench", bench, "--"] + args.criterion.split()
        if pattern:
            command.append(pattern)
        shown = [f"'{a}'" if re.search(r"[ |$()\\]", a) else a for a in command]
        print("$ " + " ".join(shown), flush=True)
        proc = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
        if proc.returncode != 0:
            sys.stderr.write(proc.stderr[-4000:])
            print(f"tapeless: `cargo bench --bench {bench}` failed, its rows are not measured")
            continue
        for line in proc.stdout.splitlines():
            m = re.match(r"value (.+?) = (.+)$", line)
            if m:
                text = m.group(2).strip()
                values[m.group(1)] = ([float(x) for x in text.strip("[]").split(",")]
                                      if text.startswith("[") else float(text))
                print("  " + line)
    times = {}
    root = os.path.join(target_directory(), "criterion")
    for dirpath, _, files in os.walk(root):
        if os.path.basename(dirpath) != "new" or "estimates.json" not in files:
            continue
        estimates = os.path.join(dirpath, "estimates.json")
        if os.path.getmtime(estimates) < started:
            continue  # an older run's result
        with open(os.path.join(dirpath, "benchmark.json")) as f:
            b = json.load(f)
        with open(estimates) as f:
            median = json.load(f)["median"]["point_estimate"]
        with open(os.path.join(dirpath, "sample.json")) as f:
            sample = json.load(f)
        fastest = min(t / n for t, n in zip(sample["times"], sample["iters"]))
        times[(b["group_id"], b["function_id"])] = {"seconds": median * 1e-9,
                                                    "min": fastest * 1e-9}
    return times, values


def run_python(tool, script, args):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "result.json")
        command = [sys.executable, os.path.join(HERE, script), "--seconds", str(args.seconds),
                   "--threads", str(args.threads), "--json", out]
        print(f"$ python3 benches/compare/{script} --seconds {args.seconds} "
              f"--threads {args.threads}", flush=True)
        proc = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
        if proc.returncode != 0 or not os.path.exists(out):
            sys.stderr.write(proc.stdout[-2000:] + proc.stderr[-4000:])
            print(f"{tool}: the script failed, its column stays empty")
            return None
        print("\n".join("  " + line for line in proc.stdout.splitlines()), flush=True)
        with open(out) as f:
            return json.load(f)


def relative_difference(a, b):
    if isinstance(a, list):
        return max(relative_difference(x, y) for x, y in zip(a, b))
    return abs(a - b) / max(abs(b), 1e-300)


def agreement(names, results, reference):
    """The largest relative difference of each tool's values to the reference values, and
    whether all are within TOLERANCE; `None` when there is nothing to compare."""
    worst = None
    for r in results:
        for name in names:
            if name in r["values"] and name in reference:
                d = relative_difference(r["values"][name], reference[name])
                worst = d if worst is None else max(worst, d)
    return worst


def milliseconds(seconds):
    return "not measured" if seconds is None else f"{seconds * 1e3:.4g} ms"


def ratio(a, b):
    return "-" if a is None or b is None else f"{a / b:.3g}"


def main():
    args = arguments()
    missing = [m for m in ("numpy", "jax", "torch") if not have(m)]
    if missing:
        print("missing Python packages: " + ", ".join(missing)
              + "\n  install with: pip install jax jaxlib torch numpy"
              + "\n  (the comparison runs the tools that are present)")
    if not have("numpy"):
        sys.exit("numpy is required by both Python versions")

    times, tapeless_values = ({}, {}) if args.skip_tapeless else run_tapeless(args)
    jax = run_python("JAX", "l96_jax.py", args) if have("jax") else None
    torch = run_python("PyTorch", "l96_torch.py", args) if have("torch") else None
    python_results = [r for r in (jax, torch) if r]

    sys.path.insert(0, HERE)
    from common import REFERENCE_L

    agreements = []
    for row, group, function, names in ROWS:
        # Compare with tapeless's values where its bench printed them, else with the problem-L
        # values stored in common.py, else JAX's with PyTorch's.
        if any(n in tapeless_values for n in names):
            worst, against = agreement(names, python_results, tapeless_values), "tapeless"
        elif any(n in REFERENCE_L for n in names) and python_results:
            worst, against = agreement(names, python_results, REFERENCE_L), "stored tapeless"
        elif jax and torch:
            worst, against = agreement(names, [torch], jax["values"]), "JAX vs PyTorch"
        else:
            worst, against = None, ""
        if worst is None:
            agreements.append("not checked")
        else:
            agreements.append(f"{'yes' if worst <= TOLERANCE else 'NO'} ({against}, {worst:.0e})")

    for statistic, title in [("seconds", "median"), ("min", "minimum")]:
        header = ["quantity", "tapeless", "JAX", "PyTorch", "JAX/tapeless", "PyTorch/tapeless"]
        if statistic == "seconds":
            header.append("values agree")
        table = []
        for (row, group, function, _), agree in zip(ROWS, agreements):
            t = times.get((group, function), {}).get(statistic)
            tj = jax["times"][row][statistic] if jax and row in jax["times"] else None
            tt = torch["times"][row][statistic] if torch and row in torch["times"] else None
            table.append([row, milliseconds(t), milliseconds(tj), milliseconds(tt),
                          ratio(tj, t), ratio(tt, t), agree][:len(header)])
        widths = [max(len(r[i]) for r in table + [header]) for i in range(len(header))]
        print()
        print(f"{title} times (tapeless: criterion's {title} of its samples' time per "
              f"iteration; JAX, PyTorch: {title} of repeated calls after warm-up), "
              f"threads: JAX/PyTorch {args.threads}, tapeless 1")
        for r in [header, ["-" * w for w in widths]] + table:
            print("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
    extra = [f"{function} {milliseconds(times[(g, function)]['seconds'])} (median)"
             for g, function in EXTRA if (g, function) in times]
    if extra:
        print("tapeless's other problem-L gradients: " + "; ".join(extra))
    for r in python_results:
        print(f"{r['tool']} {r['version']}")
    print(f"values agree: the largest relative difference of the JAX and PyTorch values to "
          f"tapeless's (or, failing those, JAX's to PyTorch's); 'yes' within {TOLERANCE:.0e}")


if __name__ == "__main__":
    main()
