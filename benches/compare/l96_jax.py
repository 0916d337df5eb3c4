"""Problems L and N (shared/problems.md) in JAX, float64, every timed function under jax.jit.

Run: python3 benches/compare/l96_jax.py [--threads 1] [--seconds 2] [--json out.json]
Timings are medians of repeated calls after two warm-up calls (the first compiles).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

args = common.arguments("JAX")
if args.threads == 1:
    # One core for XLA's CPU kernels, as tapeless runs on one; must be set before jax loads.
    os.environ["XLA_FLAGS"] = (
        os.environ.get("XLA_FLAGS", "")
        + " --xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
    )

try:
    import jax
    import jax.numpy as jnp
    from jax import lax
except ImportError:
    sys.exit("JAX is not installed: pip install jax jaxlib numpy")

jax.config.update("jax_enable_x64", True)

N, H, F = common.N, common.H, common.FORCING


def rhs(u):
    return (jnp.roll(u, -1) - jnp.roll(u, 2)) * jnp.roll(u, 1) - u + F


def rk4_step(u):
    return common.rk4_step(u, rhs)


def cost(x0, obs, xb):
    """J(x0): 20 blocks of ten RK4 steps, each ending with the even components' misfits."""

    def block(carry, y):
        u, j = carry
        u = lax.fori_loop(0, common.OBS_EVERY, lambda _, u: rk4_step(u), u)
        d = u[::2] - y
        return (u, j + jnp.sum(0.5 * d * d / (0.5 * 0.5))), None

    (_, j), _ = lax.scan(block, (x0, jnp.zeros((), x0.dtype)), obs)
    d = x0 - xb
    return j + jnp.sum(0.5 * d * d / (1.0 * 1.0))


def trajectory_error(x0, truth):
    """L: mean squared error of the trajectory from x0 against the truth, k = 0..200."""

    def step(u, xt):
        u = rk4_step(u)
        d = u - xt
        return u, jnp.sum(d * d)

    _, per_step = lax.scan(step, x0, truth[1:])
    d0 = x0 - truth[0]
    return (jnp.sum(d0 * d0) + jnp.sum(per_step)) / ((common.STEPS + 1) * N)


def main():
    d = {k: jnp.asarray(v) for k, v in common.data().items()}
    obs, xb, truth, v, theta = d["obs"], d["xb"], d["truth"], d["v"], d["theta"]
    report = common.Report("JAX", args)
    print(f"JAX {jax.__version__}, float64, device {jax.devices()[0]}, threads {args.threads}")

    grad_cost = jax.grad(cost)

    def inner_solve(eta, theta):
        x = xb
        for _ in range(common.K_INNER):
            x = x - eta * (theta * grad_cost(x, obs, xb))
        return x

    def outer_loss(eta, theta):
        return trajectory_error(inner_solve(eta, theta), truth)

    j_fn = jax.jit(cost)
    grad_fn = jax.jit(jax.value_and_grad(cost))
    hvp_fn = jax.jit(lambda x, v: jax.jvp(lambda y: grad_cost(y, obs, xb), (x,), (v,))[1])
    ones = jnp.ones(N)
    eta = jnp.asarray(common.ETA)
    # dL/deta by forward mode over the inner solve (tapeless's forward_eta does the same).
    deta_fn = jax.jit(lambda e: jax.jvp(lambda s: outer_loss(s, ones), (e,), (jnp.ones_like(e),)))
    # dL/dtheta by reverse mode through the unrolled solve.
    dtheta_fn = jax.jit(jax.value_and_grad(outer_loss, argnums=1))

    print("problem L: Lorenz-96 4D-Var, n = 40, 200 RK4 steps")
    report.value("J", j_fn(xb, obs, xb))
    _, g = grad_fn(xb, obs, xb)
    report.value("|grad J|", common.norm(g))
    report.value("|H v|", common.norm(hvp_fn(xb, v)))
    loss, dl = deta_fn(eta)
    report.value("L", loss)
    report.value("dL/deta", dl)
    _, dtheta = dtheta_fn(eta, theta)
    report.value("|dL/dtheta|", common.norm(dtheta))

    block = jax.block_until_ready
    report.time("L: J", lambda: block(j_fn(xb, obs, xb)))
    report.time("L: grad J", lambda: block(grad_fn(xb, obs, xb)))
    report.time("L: H v", lambda: block(hvp_fn(xb, v)))
    report.time("L: dL/deta (K=5)", lambda: block(deta_fn(eta)))
    report.time("L: dL/dtheta (K=5)", lambda: block(dtheta_fn(eta, theta)))

    if not args.skip_n:
        params = [jnp.asarray(p) for p in common.mlp_weights()]

        def mlp(params, z):
            w1, b1, w2, b2, w3, b3 = params
            h = jnp.tanh(w1 @ z + b1)
            h = jnp.tanh(w2 @ h + b2)
            return w3 @ h + b3

        def learned_solve(params):
            x = xb
            for _ in range(common.K_INNER):
                g = grad_cost(x, obs, xb)
                x = x - common.ETA * g - mlp(params, 0.001 * g)
            return x

        def learned_loss(params):
            return trajectory_error(learned_solve(params), truth)

        # The forward row times the analysis x_K alone, as tapeless's "forward inner solve".
        forward_fn = jax.jit(learned_solve)
        hyper_fn = jax.jit(jax.value_and_grad(learned_loss))
        print(f"problem N: learned solver, MLP 40-512-512-40, {sum(p.size for p in params)} parameters")
        loss, grads = hyper_fn(params)
        report.value("N: L", loss)
        report.value("N: |dL/dtheta|", common.norm(jnp.concatenate([x.ravel() for x in grads])))
        for layer in range(3):
            report.value(f"N: |dL/dW{layer + 1}|", common.norm(grads[2 * layer]))
            report.value(f"N: |dL/db{layer + 1}|", common.norm(grads[2 * layer + 1]))
            report.vector(f"N: dL/dW{layer + 1} first 5", grads[2 * layer].ravel()[:5])
        report.time("N: forward inner solve (K=5)", lambda: block(forward_fn(params)))
        report.time("N: hypergradient dL/dtheta", lambda: block(hyper_fn(params)))

    report.finish({"version": jax.__version__})


if __name__ == "__main__":
    main()
