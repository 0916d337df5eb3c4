"""Problems L and N (shared/problems.md) in NumPy: the data both the JAX and the PyTorch
versions start from, the MLP's deterministic weights, and the timing and reporting helpers."""

import argparse
import json
import math
import statistics
import time

import numpy as np

N = 40
FORCING = 8.0
H = 0.01
STEPS = 200
OBS_EVERY = 10
SIGMA_O = 0.5
SIGMA_B = 1.0
K_INNER = 5
ETA = 1e-5
HIDDEN = 512

# The truth's initial state after the spin-up, as the reference problem gives it.
XT0 = np.array([
    -1.88597792105089046e0, -1.52984383571429128e-1, -5.07404929163266516e0, 2.05972501471432246e0,
    5.62659391558529265e0, 3.49989089374393902e0, 6.54553206638471075e0, -1.73895962398050163e0,
    -8.51203516890138401e-1, 1.03364584748159505e0, 7.26917882854177755e0, 6.24114646159755715e0,
    -2.58704558843722454e0, 2.73472631051942805e-1, 4.96325187173679350e0, 8.09996645846302066e0,
    -1.05183975679740893e0, 1.12820311084581526e0, -1.02499889669318112e0, 1.47241101213552428e0,
    5.51056439548522903e0, 4.82915668721727176e0, -4.66038526312107937e0, 4.21174959953294170e0,
    2.53480186172035937e0, 3.75249950875800398e0, 7.02406968631262973e0, 1.37656723444263718e0,
    5.05506357275529172e0, 4.16996639005543202e0, 3.40439090838448299e0, 6.00534161558276836e0,
    -3.78275261274679053e0, -2.93257473752302511e0, 2.03068874404021571e0, 1.55042553359074509e0,
    -1.16215525440239068e-1, 2.39746535153612594e0, 1.04989141097128975e1, 5.64899960443977189e0,
], dtype=np.float64)

# tapeless's values, as `cargo bench --bench compare_l96` prints them (the same as
# examples/lorenz96_4dvar.rs), for each script's own agreement check; run.py checks against the
# values of the bench it runs.
REFERENCE_L = {
    "J": 5.2345536115923087e3,
    "|grad J|": 9.6714400551789186e3,
    "|H v|": 5.5346727621448161e4,
    "L": 5.4730761138646882e0,
    "dL/deta": 3.1851787228681211e5,
    "|dL/dtheta|": 4.5517238740433441e-1,
}


def rhs(u):
    """dx_i/dt = (x_{i+1} - x_{i-2}) x_{i-1} - x_i + F, in the order tapeless evaluates it."""
    return (np.roll(u, -1) - np.roll(u, 2)) * np.roll(u, 1) - u + FORCING


def rk4_step(u, f=rhs):
    """One classic RK4 step of `f` (NumPy's `rhs` unless given: JAX and PyTorch pass theirs)."""
    k1 = f(u)
    k2 = f(u + H / 2.0 * k1)
    k3 = f(u + H / 2.0 * k2)
    k4 = f(u + H * k3)
    return u + H / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)


def data():
    """The truth trajectory (201 x 40), the observations (20 x 20: time m = k/10 - 1, even
    component i/2), the background, and v and theta of the reference problem."""
    truth = [XT0.copy()]
    u = XT0.copy()
    for _ in range(STEPS):
        u = rk4_step(u)
        truth.append(u)
    truth = np.array(truth)
    ks = np.arange(OBS_EVERY, STEPS + 1, OBS_EVERY)
    ii = np.arange(0, N, 2)
    obs = truth[ks][:, ii] + SIGMA_O * np.sin(12.9898 * ks[:, None] + 78.233 * ii[None, :])
    i = np.arange(N)
    xb = XT0 + 0.5 * np.cos(1.7 * i + 0.3)
    v = np.cos(0.3 * i)
    theta = 1.0 + 0.1 * np.sin(i)
    return {"truth": truth, "obs": obs, "xb": xb, "v": v, "theta": theta}


def mlp_weights():
    """Problem N's MLP: W_l[r][c] = 0.01 sin(0.37 r + 0.11 c + 1.3 l), (out x in), biases 0."""
    shapes = [(HIDDEN, N), (HIDDEN, HIDDEN), (N, HIDDEN)]
    params = []
    for layer, (rows, cols) in enumerate(shapes, start=1):
        r = np.arange(rows)[:, None]
        c = np.arange(cols)[None, :]
        params.append(0.01 * np.sin(0.37 * r + 0.11 * c + 1.3 * layer))
        params.append(np.zeros(rows))
    return params  # W1, b1, W2, b2, W3, b3


def arguments(tool):
    parser = argparse.ArgumentParser(description=f"problems L and N in {tool}, float64")
    parser.add_argument("--threads", type=int, default=1,
                        help="intra-op threads (default 1, as tapeless runs on one core)")
    parser.add_argument("--seconds", type=float, default=2.0,
                        help="measuring time per quantity after warm-up (default 2)")
    parser.add_argument("--json", help="write values and timings to this file")
    parser.add_argument("--skip-n", action="store_true", help="problem L only")
    return parser.parse_args()


def median_time(run, seconds, min_repeats=5, max_repeats=1000):
    """Median and minimum wall time in seconds of `run()` over repeats, after two warm-up calls
    (the first compiles under JAX's jit). Repeats until `seconds` have passed, at least
    `min_repeats`."""
    run()
    run()
    times = []
    start = time.perf_counter()
    while len(times) < max_repeats and (
        len(times) < min_repeats or time.perf_counter() - start < seconds
    ):
        t0 = time.perf_counter()
        run()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), min(times), len(times)


class Report:
    """Collects values and timings, prints them as it goes, writes them as JSON at the end."""

    def __init__(self, tool, args):
        self.tool = tool
        self.args = args
        self.values = {}
        self.times = {}

    def value(self, name, x):
        x = float(x)
        self.values[name] = x
        line = f"  {name:<28} = {x:.16e}"
        if name in REFERENCE_L:
            ref = REFERENCE_L[name]
            line += f"   (tapeless {ref:.16e}, rel. diff {abs(x - ref) / abs(ref):.1e})"
        print(line, flush=True)

    def vector(self, name, xs):
        xs = [float(x) for x in xs]
        self.values[name] = xs
        print(f"  {name:<28} = [" + ", ".join(f"{x:.16e}" for x in xs) + "]", flush=True)

    def time(self, name, run):
        seconds, fastest, repeats = median_time(run, self.args.seconds)
        self.times[name] = {"seconds": seconds, "min": fastest, "repeats": repeats}
        print(f"  time {name:<36} {seconds * 1e3:10.4f} ms  (median of {repeats}, "
              f"min {fastest * 1e3:.4f} ms)", flush=True)

    def finish(self, extra):
        agree = all(
            abs(self.values[k] - ref) <= 1e-12 * abs(ref)
            for k, ref in REFERENCE_L.items() if k in self.values
        )
        print(f"problem L values agree with tapeless's to 1e-12 relative: {'yes' if agree else 'NO'}")
        if self.args.json:
            with open(self.args.json, "w") as f:
                json.dump({"tool": self.tool, "threads": self.args.threads, **extra,
                           "values": self.values, "times": self.times}, f, indent=1)


def norm(x):
    return math.sqrt(float(np.sum(np.asarray(x) ** 2)))
