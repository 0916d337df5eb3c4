"""Problems L and N (shared/problems.md) in PyTorch, float64, eager mode, autograd.

Run: python3 benches/compare/l96_torch.py [--threads 1] [--seconds 2] [--json out.json]
Timings are medians of repeated calls after two warm-up calls. Second derivatives are double
backward (create_graph=True): the usual way to write them with torch.autograd.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

args = common.arguments("PyTorch")

try:
    import torch
except ImportError:
    sys.exit("PyTorch is not installed: pip install torch numpy")

torch.set_num_threads(args.threads)
torch.set_default_dtype(torch.float64)

N, H, F = common.N, common.H, common.FORCING
grad = torch.autograd.grad


def rhs(u):
    return (torch.roll(u, -1) - torch.roll(u, 2)) * torch.roll(u, 1) - u + F


def rk4_step(u):
    return common.rk4_step(u, rhs)


def cost(x0, obs, xb):
    """J(x0): 200 RK4 steps, the even components' misfits every ten, the background term."""
    u = x0
    j = x0.new_zeros(())
    for k in range(1, common.STEPS + 1):
        u = rk4_step(u)
        if k % common.OBS_EVERY == 0:
            d = u[::2] - obs[k // common.OBS_EVERY - 1]
            j = j + torch.sum(0.5 * d * d / (0.5 * 0.5))
    d = x0 - xb
    return j + torch.sum(0.5 * d * d / (1.0 * 1.0))


def trajectory_error(x0, truth):
    """L: mean squared error of the trajectory from x0 against the truth, k = 0..200."""
    u = x0
    d = u - truth[0]
    total = torch.sum(d * d)
    for k in range(1, common.STEPS + 1):
        u = rk4_step(u)
        d = u - truth[k]
        total = total + torch.sum(d * d)
    return total / ((common.STEPS + 1) * N)


def main():
    d = {k: torch.from_numpy(v) for k, v in common.data().items()}
    obs, xb, truth, v, theta = d["obs"], d["xb"], d["truth"], d["v"], d["theta"]
    report = common.Report("PyTorch", args)
    print(f"PyTorch {torch.__version__}, float64, CPU, threads {torch.get_num_threads()}")

    def j_value():
        with torch.no_grad():
            return cost(xb, obs, xb)

    def value_and_gradient():
        x = xb.clone().requires_grad_()
        j = cost(x, obs, xb)
        return j, grad(j, x)[0]

    def hessian_vector():
        x = xb.clone().requires_grad_()
        (g,) = grad(cost(x, obs, xb), x, create_graph=True)
        return grad(g, x, grad_outputs=v)[0]

    def outer_loss(eta, theta):
        """L after K descent steps, the graph kept through every inner gradient."""
        x = xb.clone().requires_grad_()
        for _ in range(common.K_INNER):
            (g,) = grad(cost(x, obs, xb), x, create_graph=True)
            x = x - eta * (theta * g)
        return trajectory_error(x, truth)

    def hyper_eta():
        eta = torch.tensor(common.ETA, requires_grad=True)
        loss = outer_loss(eta, torch.ones(N))
        return loss, grad(loss, eta)[0]

    def hyper_theta():
        th = theta.clone().requires_grad_()
        loss = outer_loss(torch.tensor(common.ETA), th)
        return loss, grad(loss, th)[0]

    print("problem L: Lorenz-96 4D-Var, n = 40, 200 RK4 steps")
    report.value("J", j_value())
    report.value("|grad J|", common.norm(value_and_gradient()[1].numpy()))
    report.value("|H v|", common.norm(hessian_vector().numpy()))
    loss, dl = hyper_eta()
    report.value("L", loss.detach())
    report.value("dL/deta", dl)
    report.value("|dL/dtheta|", common.norm(hyper_theta()[1].numpy()))

    report.time("L: J", j_value)
    report.time("L: grad J", value_and_gradient)
    report.time("L: H v", hessian_vector)
    report.time("L: dL/deta (K=5)", hyper_eta)
    report.time("L: dL/dtheta (K=5)", hyper_theta)

    if not args.skip_n:
        params = [torch.from_numpy(p) for p in common.mlp_weights()]

        def mlp(params, z):
            w1, b1, w2, b2, w3, b3 = params
            h = torch.tanh(w1 @ z + b1)
            h = torch.tanh(w2 @ h + b2)
            return w3 @ h + b3

        def learned_solve(params, keep_graph):
            x = xb.clone().requires_grad_()
            for _ in range(common.K_INNER):
                if not keep_graph:
                    x = x.detach().requires_grad_()
                (g,) = grad(cost(x, obs, xb), x, create_graph=keep_graph)
                x = x - common.ETA * g - mlp(params, 0.001 * g)
            return x

        def learned_loss(params, keep_graph):
            return trajectory_error(learned_solve(params, keep_graph), truth)

        def forward():
            """The analysis x_K alone, as tapeless's "forward inner solve"."""
            return learned_solve(params, keep_graph=False).detach()

        trainable = [p.clone().requires_grad_() for p in params]

        def hypergradient():
            loss = learned_loss(trainable, keep_graph=True)
            return loss, grad(loss, trainable)

        print(f"problem N: learned solver, MLP 40-512-512-40, {sum(p.numel() for p in params)} parameters")
        loss, grads = hypergradient()
        report.value("N: L", loss.detach())
        report.value("N: |dL/dtheta|", common.norm(torch.cat([g.reshape(-1) for g in grads]).numpy()))
        for layer in range(3):
            report.value(f"N: |dL/dW{layer + 1}|", common.norm(grads[2 * layer].numpy()))
            report.value(f"N: |dL/db{layer + 1}|", common.norm(grads[2 * layer + 1].numpy()))
            report.vector(f"N: dL/dW{layer + 1} first 5", grads[2 * layer].reshape(-1)[:5].tolist())
        report.time("N: forward inner solve (K=5)", forward)
        report.time("N: hypergradient dL/dtheta", hypergradient)

    report.finish({"version": torch.__version__})


if __name__ == "__main__":
    main()
