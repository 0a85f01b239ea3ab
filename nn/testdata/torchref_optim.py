#!/usr/bin/python3
"""Reference trajectories for genfwi/nn optimisers from PyTorch (Debian python3-torch 1.13).

Run from this directory:  /usr/bin/python3 torchref_optim.py > torchref_optim.json
Five steps of each optimiser on a 7-element parameter with a fixed sequence of
gradients; the weights after every step are recorded (float32).
"""
import json
import math

import torch

torch.set_num_threads(1)


def ramp(n, phase, scale=1.0):
    return torch.tensor([math.sin(0.731 * i + phase) * scale for i in range(n)], dtype=torch.float32)


runs = []
for name, make in [
    ("adam", lambda p: torch.optim.Adam([p], lr=1e-2)),
    ("adam_l2", lambda p: torch.optim.Adam([p], lr=1e-2, weight_decay=0.1)),
    ("adamw", lambda p: torch.optim.AdamW([p], lr=1e-2, weight_decay=0.1)),
    ("adam_betas", lambda p: torch.optim.Adam([p], lr=3e-3, betas=(0.5, 0.9), eps=1e-6)),
    ("sgd_momentum", lambda p: torch.optim.SGD([p], lr=1e-2, momentum=0.9)),
    ("sgd_nesterov", lambda p: torch.optim.SGD([p], lr=1e-2, momentum=0.9, nesterov=True, weight_decay=0.05)),
]:
    p = torch.nn.Parameter(ramp(7, 0.1))
    opt = make(p)
    grads, traj = [], []
    for s in range(5):
        g = ramp(7, 1.0 + s, 0.5 + s)
        p.grad = g.clone()
        opt.step()
        grads.append(g.tolist())
        traj.append(p.detach().clone().tolist())
    runs.append({"name": name, "p0": ramp(7, 0.1).tolist(), "grads": grads, "traj": traj})
print(json.dumps({"generator": "torchref_optim.py, torch " + torch.__version__, "runs": runs}))
