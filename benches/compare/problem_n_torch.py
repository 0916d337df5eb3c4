"""Problem N in PyTorch (float64), independent of tapeless: L, |dL/dtheta| and the first five
entries of each layer's weight gradient, by autograd through K = 5 learned inner steps (each
inner gradient by autograd through 200 RK4 steps, kept in the graph with create_graph=True).

Run: python3 benches/compare/problem_n_torch.py   (compare with the first lines of
cargo run --release --example learned_solver)
"""
import torch

torch.set_default_dtype(torch.float64)
N, F, H, STEPS, K, ETA = 40, 8.0, 0.01, 200, 5, 1e-5
XT0 = torch.tensor([
    -1.88597792105089046e0,
    -1.52984383571429128e-1,
    -5.07404929163266516e0,
    2.05972501471432246e0,
    5.62659391558529265e0,
    3.49989089374393902e0,
    6.54553206638471075e0,
    -1.73895962398050163e0,
    -8.51203516890138401e-1,
    1.03364584748159505e0,
    7.26917882854177755e0,
    6.24114646159755715e0,
    -2.58704558843722454e0,
    2.73472631051942805e-1,
    4.96325187173679350e0,
    8.09996645846302066e0,
    -1.05183975679740893e0,
    1.12820311084581526e0,
    -1.02499889669318112e0,
    1.47241101213552428e0,
    5.51056439548522903e0,
    4.82915668721727176e0,
    -4.66038526312107937e0,
    4.21174959953294170e0,
    2.53480186172035937e0,
    3.75249950875800398e0,
    7.02406968631262973e0,
    1.37656723444263718e0,
    5.05506357275529172e0,
    4.16996639005543202e0,
    3.40439090838448299e0,
    6.00534161558276836e0,
    -3.78275261274679053e0,
    -2.93257473752302511e0,
    2.03068874404021571e0,
    1.55042553359074509e0,
    -1.16215525440239068e-1,
    2.39746535153612594e0,
    1.04989141097128975e1,
    5.64899960443977189e0
])


def l96(u):
    return (torch.roll(u, -1) - torch.roll(u, 2)) * torch.roll(u, 1) - u + F


def rk4(u):
    k1 = l96(u)
    k2 = l96(u + H / 2 * k1)
    k3 = l96(u + H / 2 * k2)
    k4 = l96(u + H * k3)
    return u + H / 6 * (k1 + 2 * k2 + 2 * k3 + k4)


truth = [XT0]
for _ in range(STEPS):
    truth.append(rk4(truth[-1]))
truth = torch.stack(truth)
ks = torch.arange(10, STEPS + 1, 10, dtype=torch.float64)
ii = torch.arange(0, N, 2, dtype=torch.float64)
obs = truth[10::10, ::2] + 0.5 * torch.sin(12.9898 * ks[:, None] + 78.233 * ii[None, :])
xb = XT0 + 0.5 * torch.cos(1.7 * torch.arange(N, dtype=torch.float64) + 0.3)


def cost(x0):
    u, j = x0, 0.0
    for k in range(1, STEPS + 1):
        u = rk4(u)
        if k % 10 == 0:
            d = u[::2] - obs[k // 10 - 1]
            j = j + 0.5 * (d * d).sum() / 0.25
    d = x0 - xb
    return j + 0.5 * (d * d).sum()


def outer(x0):
    u, traj = x0, [x0]
    for _ in range(STEPS):
        u = rk4(u)
        traj.append(u)
    return ((torch.stack(traj) - truth) ** 2).mean()


mlp = torch.nn.Sequential(
    torch.nn.Linear(N, 512), torch.nn.Tanh(),
    torch.nn.Linear(512, 512), torch.nn.Tanh(),
    torch.nn.Linear(512, N),
)
with torch.no_grad():
    for l, layer in enumerate([mlp[0], mlp[2], mlp[4]], start=1):
        r = torch.arange(layer.weight.shape[0], dtype=torch.float64)[:, None]
        c = torch.arange(layer.weight.shape[1], dtype=torch.float64)[None, :]
        layer.weight.copy_(0.01 * torch.sin(0.37 * r + 0.11 * c + 1.3 * l))
        layer.bias.zero_()

x = xb.clone().requires_grad_(True)
for _ in range(K):
    g, = torch.autograd.grad(cost(x), x, create_graph=True)
    x = x - ETA * g - mlp(0.001 * g)
L = outer(x)
L.backward()
grads = [p.grad.flatten() for p in mlp.parameters()]
print(f"L            = {L.item():.16e}")
print(f"|dL/dtheta|  = {torch.cat(grads).norm().item():.16e}")
for name, layer in [("layer1", mlp[0]), ("layer2", mlp[2]), ("layer3", mlp[4])]:
    first = ", ".join(f"{v:.16e}" for v in layer.weight.grad[0, :5].tolist())
    print(f"dL/d{name}.weight[0][0..5] = [{first}]")
