"""Writes the PyTorch reference values for mtl-tui's loss-weighting strategies.

Run by hand (the tests need no Python), after scripts/pytorch_fixtures.py has written the base
fixtures this script starts from:
    python3 -m venv /tmp/torchenv && /tmp/torchenv/bin/pip install torch==2.13.0+cpu
    /tmp/torchenv/bin/python scripts/strategy_fixtures.py

For each case it loads Tests/MTLEngineTests/Fixtures/<case>.json (parameters, batch, targets,
per-row weights), rebuilds the network with pytorch_fixtures.Net, and for every strategy takes
ONE step from those parameters: the strategy's gradient for every parameter, then one fresh
torch.optim.Adam step (the fixture's adam_lr, betas (0.9, 0.999), eps 1e-8, no weight decay)
over all model parameters. It writes Tests/MTLEngineTests/Fixtures/strategies_<case>.json:

    {"case": "<case>", "tasks": [head names, config order], "shared": [trunk.* names],
     "adam": {"lr", "betas", "eps", "weight_decay"},
     "strategies": {NAME: {"reference", "inputs", "losses", "weights", "gradients", "after",
                           "state_after", "diagnostics"}}}

Per-task values ("losses", "weights", inputs) are lists in the order of "tasks". "gradients"
and "after" map every parameter's PyTorch name to its flat values (PyTorch layout, as in the
base fixture's "parameters"). The user's task weights (config task_weight) are NOT applied:
every strategy weights the raw per-task losses L_i. "diagnostics" holds intermediate values
(GradNorm's G and targets, PCGrad's dot products, FAMO's δ and ξ gradient) for debugging.
A fresh Adam's first step is ≈ −lr·sign(g), so "after" checks the sign of each gradient element;
"gradients" (and the diagnostics) check their size.
"""
import json
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pytorch_fixtures import OUT, Net, task_loss  # noqa: E402

CASES = ["mlp_features", "cnn_all_heads"]
BETAS, EPS = (0.9, 0.999), 1e-8


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


class Case:
    """One base fixture: the network at its stored parameters and its batch."""

    def __init__(self, name):
        with open(os.path.join(OUT, f"{name}.json")) as f:
            self.fixture = fx = json.load(f)
        c = self.config = fx["config"]
        self.name, self.lr = name, fx["adam_lr"]
        self.heads = c["heads"]
        self.tasks = [h["name"] for h in self.heads]
        self.K = len(self.tasks)
        b, length = fx["batch"], fx["length"]
        self.tokens = torch.tensor(fx["tokens"], dtype=torch.long).reshape(b, length)
        self.features = torch.tensor(fx["features"], dtype=torch.float32).reshape(b, c["features"])
        self.tfidf = self.make_tfidf(fx["idf"], b)
        self.targets = {h["name"]: torch.tensor(fx["targets"][h["name"]], dtype=torch.float32).reshape(
            (b, h["outputs"]) if h["kind"] == "multilabel" else (b,)) for h in self.heads}
        self.row_weights = {k: torch.tensor(v, dtype=torch.float32) for k, v in fx["weights"].items()}
        self.net = Net(c)
        self.reset()
        self.names = [k for k, _ in self.net.named_parameters()]
        self.shared = [k for k in self.names if k.startswith("trunk.")]

    def make_tfidf(self, idf, batch):
        """The L2-normalised tf-idf rows exactly as pytorch_fixtures.make_case builds them."""
        c = self.config
        tfidf = torch.zeros(batch, c["vocabulary"] if c["trunk"] == "mlp" else 0)
        if c["trunk"] == "mlp" and c["vocabulary"]:
            for b in range(batch):
                for t in self.tokens[b].tolist():
                    tfidf[b, t] += idf[t]
                tfidf[b] /= tfidf[b].norm()
        return tfidf

    def reset(self):
        """Back to the base fixture's parameters (exact: they are float32 values)."""
        params = self.fixture["parameters"]
        state = {k: torch.tensor(v["values"], dtype=torch.float32).reshape(v["shape"]) for k, v in params.items()}
        self.net.load_state_dict(state)
        self.net.zero_grad(set_to_none=True)

    def losses(self):
        """[K] tensor of the per-task losses L_i (task_loss, user weights not applied)."""
        _, logits = self.net(self.tokens, self.features, self.tfidf)
        return torch.stack([task_loss(h, logits[h["name"]], self.targets[h["name"]], self.row_weights[h["name"]])
                            for h in self.heads])

    def params(self):
        return dict(self.net.named_parameters())

    def gradients_of(self, scalar, retain_graph=False):
        """{name: gradient} of a scalar for every model parameter (zeros where it does not depend)."""
        ps = self.params()
        gs = torch.autograd.grad(scalar, list(ps.values()), retain_graph=retain_graph, allow_unused=True)
        return {k: (torch.zeros_like(p) if g is None else g) for (k, p), g in zip(ps.items(), gs)}

    def adam_step(self, grads, extra=()):
        """One fresh Adam step over all model parameters (plus `extra` tensors whose .grad is set)."""
        ps = self.params()
        for k, p in ps.items():
            p.grad = grads[k].detach().clone()
        opt = torch.optim.Adam(list(ps.values()) + list(extra), lr=self.lr, betas=BETAS, eps=EPS, weight_decay=0)
        opt.step()
        return {k: p.detach().clone() for k, p in ps.items()}


def entry(reference, inputs, losses, weights, grads, after, state_after=None, diagnostics=None):
    return {
        "reference": reference, "inputs": inputs, "losses": flat(losses),
        "weights": None if weights is None else flat(weights),
        "gradients": {k: flat(v) for k, v in grads.items()},
        "after": {k: flat(v) for k, v in after.items()},
        "state_after": state_after or {}, "diagnostics": diagnostics or {},
    }


def weighted_step(case, weights):
    """Model gradient of Σ_i w_i L_i, then the Adam step. Returns (losses, grads, after)."""
    losses = case.losses()
    grads = case.gradients_of((weights * losses).sum())
    return losses, grads, case.adam_step(grads)


# ---------------------------------------------------------------- strategies

def fixed(case):
    """fixed: w_i = 1, loss Σ_i L_i."""
    w = torch.ones(case.K)
    losses, grads, after = weighted_step(case, w)
    return entry("Σ_i L_i (equal weights; LibMTL EW.py)", {}, losses, w, grads, after)


def dwa(case):
    """dwa: r_k = L_k(e−1) / L_k(e−2), w_k = K·exp(r_k/T) / Σ_i exp(r_i/T), T = 2; loss Σ w_k L_k."""
    L = case.losses().detach()
    ratios = [0.9, 0.7, 1.05, 0.8]
    earlier = [round(1.25 * float(L[i]), 3) for i in range(case.K)]                  # L(e−2)
    previous = [round(earlier[i] * ratios[i % 4], 3) for i in range(case.K)]         # L(e−1)
    T = 2.0
    r = torch.tensor(previous, dtype=torch.float64) / torch.tensor(earlier, dtype=torch.float64)
    w = (case.K * F.softmax(r / T, dim=0)).float()
    losses, grads, after = weighted_step(case, w)
    inputs = {"previous_epoch_losses": previous, "earlier_epoch_losses": earlier, "temperature": T}
    return entry("Liu, Johns & Davison, End-to-End Multi-Task Learning with Attention (CVPR 2019), DWA; LibMTL DWA.py",
                 inputs, losses, w, grads, after)


def rlw(case):
    """rlw: eps ~ N(0, I_K) (torch.manual_seed(7); torch.randn(K)), w = softmax(eps) (sums to 1, no ×K)."""
    torch.manual_seed(7)
    eps = torch.randn(case.K)
    w = F.softmax(eps, dim=0)
    losses, grads, after = weighted_step(case, w)
    return entry("Lin et al., Reasonable Effectiveness of Random Weighting (arXiv:2111.10603, TMLR 2022) "
                       "RLW with Normal dist: w = softmax(eps), eps ~ N(0, I); LibMTL RLW.py (dist='Normal'); "
                       "weights sum to 1, not rescaled to K",
                 {"eps": flat(eps), "seed": 7}, losses, w, grads, after)


def uw(case):
    """uw: s_i = log σ_i² (init −0.5), loss Σ_i L_i / (2·exp(s_i)) + s_i / 2; s is in the same Adam step."""
    s = torch.full((case.K,), -0.5, requires_grad=True)
    weights = (1 / (2 * torch.exp(s))).detach()
    losses = case.losses()
    total = (losses / (2 * torch.exp(s)) + s / 2).sum()
    ps = case.params()
    gs = torch.autograd.grad(total, list(ps.values()) + [s], allow_unused=True)
    grads = {k: (torch.zeros_like(p) if g is None else g) for (k, p), g in zip(ps.items(), gs[:-1])}
    s.grad = gs[-1].detach().clone()
    after = case.adam_step(grads, extra=[s])
    e = entry("Kendall, Gal & Cipolla, Multi-Task Learning Using Uncertainty to Weigh Losses (CVPR 2018) in the "
                    "form of LibMTL UW.py: Σ L_i/(2 exp s_i) + s_i/2 (the Gaussian form L/(2σ²) + log σ) for every "
                    "task (the paper drops the 1/2 for classification tasks), s_i = log σ_i² initialised −0.5",
              {"log_variance": [-0.5] * case.K}, losses, weights, grads, after,
              state_after={"log_variance": flat(s)})
    e["gradients"]["log_variance"] = flat(s.grad)
    return e


def gradnorm(case, w_before, name_suffix=""):
    """gradnorm (Chen et al. 2018, Alg. 1): W = last shared dense weight,
    G_i = ‖∇_W (w_i L_i)‖₂, Ḡ = mean_i G_i, L̃_i = L_i / L_i(0), r_i = L̃_i / mean_j L̃_j,
    target_i = Ḡ·r_i^α (constant), L_grad = Σ_i |G_i − target_i|, α = 1.5.
    Model: gradient of Σ_i w_i L_i with w before the update, then the Adam step.
    w: w ← w − 0.025·∂L_grad/∂w (plain SGD), then w ← K·w / Σ w.
    """
    K, alpha, w_lr = case.K, 1.5, 0.025
    layer = [k for k in case.shared if k.startswith("trunk.dense") and k.endswith(".weight")][-1]
    W = case.params()[layer]
    w = torch.tensor(w_before, requires_grad=True)
    losses = case.losses()
    factors = [1.2, 1.6, 1.1, 1.4]
    initial = [round(float(losses[i].detach()) * factors[i % 4], 4) for i in range(K)]
    G = torch.stack([torch.autograd.grad(w[i] * losses[i], W, retain_graph=True, create_graph=True)[0].norm()
                     for i in range(K)])
    L_tilde = losses.detach() / torch.tensor(initial)
    r = L_tilde / L_tilde.mean()
    target = (G.mean() * r ** alpha).detach()
    L_grad = (G - target).abs().sum()
    w_grad = torch.autograd.grad(L_grad, w, retain_graph=True)[0]
    # the model update with w before the step
    weights = w.detach().clone()
    grads = case.gradients_of((weights * losses).sum())
    after = case.adam_step(grads)
    w_after = w.detach() - w_lr * w_grad
    w_after = K * w_after / w_after.sum()
    inputs = {"weights": [float(v) for v in w_before], "initial_losses": initial, "alpha": alpha,
              "weight_lr": w_lr, "layer": layer}
    diagnostics = {"G": flat(G), "G_mean": float(G.mean()), "loss_ratios": flat(r), "targets": flat(target),
                   "L_grad": float(L_grad), "weight_gradient": flat(w_grad)}
    return entry("Chen et al., GradNorm (ICML 2018) L_grad and Alg. 1: G on the last shared layer's "
                       "weight, target constant, SGD on w then renormalise to Σw = K (LibMTL GradNorm.py "
                       "instead parameterises w = K·softmax(θ), uses all shared parameters and starts at epoch 1)",
                 inputs, losses, weights, grads, after, state_after={"weights": flat(w_after)},
                 diagnostics=diagnostics)


def pcgrad(case):
    """pcgrad (Yu et al. 2020, Alg. 1; LibMTL PCGrad.py): g_i = ∇_shared L_i flattened over all trunk.*;
    for each i: g_i' = g_i; for j in orders[i] (a permutation of ALL tasks, i included):
    if g_i'·g_j < 0: g_i' −= (g_i'·g_j / ‖g_j‖²) g_j (no epsilon, as LibMTL). Shared gradient Σ_i g_i';
    head.<t>.* get ∇ L_t only.
    """
    K = case.K
    gen = torch.Generator().manual_seed(11)
    orders = [torch.randperm(K, generator=gen).tolist() for _ in range(K)]
    losses = case.losses()
    per_task = [case.gradients_of(losses[i], retain_graph=True) for i in range(K)]
    g = [torch.cat([per_task[i][k].reshape(-1) for k in case.shared]) for i in range(K)]
    dots = [[float(g[i] @ g[j]) for j in range(K)] for i in range(K)]
    projections = []
    pc = []
    for i in range(K):
        gi = g[i].clone()
        for j in orders[i]:
            d = gi @ g[j]
            if d < 0:
                gi = gi - d / (g[j] @ g[j]) * g[j]
                projections.append({"i": i, "j": j, "dot": float(d)})
        pc.append(gi)
    shared = torch.stack(pc).sum(0)
    grads, offset = {}, 0
    for k in case.names:
        p = case.params()[k]
        if k in case.shared:
            grads[k] = shared[offset:offset + p.numel()].reshape(p.shape)
            offset += p.numel()
        else:
            t = case.tasks.index(k.split(".")[1])
            grads[k] = per_task[t][k]
    after = case.adam_step(grads)
    return entry("Yu et al., Gradient Surgery for MTL (NeurIPS 2020) Alg. 1 as in LibMTL PCGrad.py: "
                       "projections against the original g_j, j loops over all tasks incl. i, no epsilon in ‖g_j‖², "
                       "shared gradient = sum (not mean) of the projected g_i'",
                 {"orders": orders, "seed": 11}, losses, None, grads, after,
                 diagnostics={"dot_products": dots, "projections": projections})


def famo(case, logits_before):
    """famo (Liu et al. 2023, Alg. 1; LibMTL FAMO.py, authors' famo.py): z = softmax(ξ),
    D_i = L_i − 0 + 1e-8, c = Σ_i z_i / D_i (constant), model loss Σ_i z_i·log D_i / c
    (so the weight on ∇L_i is z_i / (c·D_i)), Adam step for the model; then the losses on the same
    batch with the new parameters, δ_i = log D_i(before) − log D_i(after), ∇_ξ = J_softmax(ξ)ᵀ δ
    = z ⊙ (δ − z·δ), one fresh Adam step on ξ with lr 0.025, weight_decay 0.001 (LibMTL defaults).
    """
    w_lr, gamma = 0.025, 1e-3
    xi = torch.tensor(logits_before, requires_grad=True)
    z = F.softmax(xi, -1).detach()
    losses = case.losses()
    D = losses - 0.0 + 1e-8
    c = (z / D).sum().detach()
    weights = (z / (c * D)).detach()
    grads = case.gradients_of((D.log() * z / c).sum())
    after = case.adam_step(grads)
    with torch.no_grad():
        new_losses = case.losses()
    delta = (losses.detach() + 1e-8).log() - (new_losses + 1e-8).log()
    xi_grad = torch.autograd.grad(F.softmax(xi, -1), xi, grad_outputs=delta)[0]
    xi.grad = xi_grad.clone()
    torch.optim.Adam([xi], lr=w_lr, betas=BETAS, eps=EPS, weight_decay=gamma).step()
    inputs = {"logits": [float(v) for v in logits_before], "min_losses": [0.0] * case.K, "epsilon": 1e-8,
              "logit_lr": w_lr, "logit_weight_decay": gamma, "logit_adam_betas": list(BETAS), "logit_adam_eps": EPS}
    diagnostics = {"z": flat(z), "c": float(c), "delta": flat(delta), "logits_gradient": flat(xi_grad)}
    return entry("Liu et al., FAMO (NeurIPS 2023) Alg. 1 as in LibMTL FAMO.py (w_lr 0.025, gamma 1e-3; "
                       "the authors' famo.py defaults gamma 0.01 and clips shared grads to norm 1, not done here); "
                       "ξ Adam weight_decay is PyTorch's L2 (added to the gradient)",
                 inputs, losses, weights, grads, after,
                 state_after={"logits": flat(xi), "losses_after": flat(new_losses)}, diagnostics=diagnostics)


def uneven(K):
    w = torch.tensor([1.3 if i % 2 == 0 else 0.7 for i in range(K)], dtype=torch.float64)
    return [float(v) for v in K * w / w.sum()]


STRATEGIES = {
    "fixed": fixed,
    "dwa": dwa,
    "rlw": rlw,
    "uw": uw,
    "gradnorm": lambda c: gradnorm(c, [1.0] * c.K),
    "gradnorm_uneven": lambda c: gradnorm(c, uneven(c.K)),
    "pcgrad": pcgrad,
    "famo": lambda c: famo(c, [0.0] * c.K),
    "famo_logits": lambda c: famo(c, [0.4 if i % 2 == 0 else -0.3 for i in range(c.K)]),
}


# ---------------------------------------------------------------- checks

def close(a, b, tol=1e-5):
    a = torch.as_tensor(a, dtype=torch.float64).reshape(-1)
    b = torch.as_tensor(b, dtype=torch.float64).reshape(-1)
    return float((a - b).abs().max()) <= tol * max(1.0, float(b.abs().max()))


def check(case, out):
    fx, K = case.fixture, case.K
    # the loaded state reproduces the base fixture
    case.reset()
    L = case.losses()
    assert close(L.detach(), [fx["losses"][t] for t in case.tasks], 1e-6), "losses differ from the base fixture"
    user = torch.tensor([h["task_weight"] for h in case.heads])
    g = case.gradients_of((user * L).sum())
    for k, v in g.items():
        assert close(v, fx["gradients"][k]["values"]), f"base gradient {k}"
    s = out["strategies"]
    if all(h["task_weight"] == 1 for h in case.heads):
        for k in case.names:
            assert close(s["fixed"]["gradients"][k], fx["gradients"][k]["values"]), f"fixed gradient {k}"
            assert close(s["fixed"]["after"][k], fx["after_adam"][k]["values"]), f"fixed after {k}"
        print("  fixed == base fixture gradients and after_adam")
    for name, e in s.items():
        assert set(e["after"]) == set(case.names) and set(case.names) <= set(e["gradients"]), name
        for k in case.names:
            before = fx["parameters"][k]["values"]
            grad = torch.tensor(e["gradients"][k])
            moved = torch.tensor(e["after"][k]) != torch.tensor(before)
            assert bool((moved == (grad != 0)).all()), f"{name} {k}: moved where the gradient is 0 or not"
            # Adam's first step is ~lr·sign(g): elements with |g| near eps are fragile references
            small = ((grad != 0) & (grad.abs() < 1e-6)).sum()
            if small:
                print(f"  WARNING {name} {k}: {int(small)} gradient elements in (0, 1e-6)")
        assert close(e["losses"], L.detach(), 1e-6), name
    assert abs(sum(s["fixed"]["weights"]) - K) < 1e-6
    assert abs(sum(s["dwa"]["weights"]) - K) < 1e-5
    assert abs(sum(s["rlw"]["weights"]) - 1) < 1e-6
    for n in ["famo", "famo_logits"]:
        assert abs(sum(s[n]["weights"]) - 1) < 1e-5, n
        d, z = torch.tensor(s[n]["diagnostics"]["delta"]), torch.tensor(s[n]["diagnostics"]["z"])
        assert close(s[n]["diagnostics"]["logits_gradient"], z * (d - (z * d).sum()), 1e-6), n
    for n in ["gradnorm", "gradnorm_uneven"]:
        e = s[n]
        assert abs(sum(e["state_after"]["weights"]) - K) < 1e-5
        G, t = torch.tensor(e["diagnostics"]["G"]), torch.tensor(e["diagnostics"]["targets"])
        w = torch.tensor(e["inputs"]["weights"])
        assert close(e["diagnostics"]["weight_gradient"], torch.sign(G - t) * G / w, 1e-5), n
        assert close(e["weights"], e["inputs"]["weights"], 1e-7), n
    uw_e = s["uw"]
    s0 = torch.tensor(uw_e["inputs"]["log_variance"])
    assert close(uw_e["gradients"]["log_variance"], 0.5 - L.detach() / (2 * torch.exp(s0)), 1e-6)
    assert all(a != b for a, b in zip(uw_e["state_after"]["log_variance"], uw_e["inputs"]["log_variance"]))


def main():
    for name in CASES:
        case = Case(name)
        out = {"case": name, "tasks": case.tasks, "shared": case.shared,
               "adam": {"lr": case.lr, "betas": list(BETAS), "eps": EPS, "weight_decay": 0.0},
               "strategies": {}}
        for sname, fn in STRATEGIES.items():
            case.reset()
            out["strategies"][sname] = fn(case)
        check(case, out)
        path = os.path.join(OUT, f"strategies_{name}.json")
        with open(path, "w") as f:
            json.dump(out, f, separators=(",", ":"))
        with open(path) as f:
            json.load(f)
        print(f"{name}: wrote strategies_{name}.json ({os.path.getsize(path)} bytes)")
        for sname, e in out["strategies"].items():
            w = e["weights"]
            print(f"  {sname:16s} weights {None if w is None else [round(v, 5) for v in w]}")
        pc = out["strategies"]["pcgrad"]["diagnostics"]
        print("  pcgrad dot products g_i·g_j:")
        for row in pc["dot_products"]:
            print("   ", [f"{v:+.5f}" for v in row])
        print(f"  pcgrad projections applied: {pc['projections']}")


if __name__ == "__main__":
    main()
