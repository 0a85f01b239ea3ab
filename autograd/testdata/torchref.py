#!/usr/bin/python3
"""Reference values for genfwi/autograd from PyTorch (Debian python3-torch 1.13).

Run from this directory:  /usr/bin/python3 torchref.py  > torchref.json
Each case stores its inputs, a cotangent r, the forward output and the
gradients of sum(r * out) with respect to every input, all in float32. The Go
test (torchref_test.go) rebuilds each case with the engine's ops and compares.
Inputs are deterministic (sin of an index ramp), so no RNG is shared.
"""
import json
import math

import torch
import torch.nn.functional as F

torch.set_num_threads(1)


def ramp(shape, phase, scale=1.0):
    n = math.prod(shape)
    t = torch.tensor([math.sin(0.731 * i + phase) * scale for i in range(n)], dtype=torch.float32)
    return t.reshape(shape)


def enc(t):
    return {"shape": list(t.shape), "data": [float(v) for v in t.detach().reshape(-1).tolist()]}


cases = []


def case(name, inputs, fn, extra=None):
    ins = {k: v.clone().requires_grad_(True) for k, v in inputs.items()}
    out = fn(**ins)
    r = ramp(out.shape, 0.3)
    (out * r).sum().backward()
    c = {"name": name, "inputs": {k: enc(v) for k, v in inputs.items()}, "cot": enc(r), "out": enc(out),
         "grads": {k: enc(v.grad) for k, v in ins.items()}}
    if extra:
        c.update(extra)
    cases.append(c)


# Convolution: stride (2,1), asymmetric padding (top 1, bottom 0, left 2, right 1), dilation (2,1).
case("conv2d", {"x": ramp((2, 3, 9, 7), 0.1), "w": ramp((4, 3, 3, 2), 1.1, 0.5), "b": ramp((4,), 2.0)},
     lambda x, w, b: F.conv2d(F.pad(x, (2, 1, 1, 0)), w, b, stride=(2, 1), dilation=(2, 1)))
case("conv_transpose2d", {"x": ramp((2, 3, 4, 5), 0.2), "w": ramp((3, 2, 3, 3), 1.3, 0.5), "b": ramp((2,), 2.2)},
     lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1))
case("group_norm", {"x": ramp((2, 6, 3, 4), 0.4, 2.0), "g": ramp((6,), 0.5), "b": ramp((6,), 0.6)},
     lambda x, g, b: F.group_norm(x, 3, g, b, 1e-5))
case("layer_norm", {"x": ramp((3, 7), 0.7, 2.0), "g": ramp((7,), 0.8), "b": ramp((7,), 0.9)},
     lambda x, g, b: F.layer_norm(x, (7,), g, b, 1e-5))
rm, rv = torch.zeros(3), torch.ones(3)
case("batch_norm_train", {"x": ramp((4, 3, 2, 3), 1.0, 2.0), "g": ramp((3,), 1.1), "b": ramp((3,), 1.2)},
     lambda x, g, b: F.batch_norm(x, rm, rv, g, b, training=True, momentum=0.1, eps=1e-5))
cases[-1]["running_mean"] = enc(rm)
cases[-1]["running_var"] = enc(rv)
case("bilinear_up", {"x": ramp((1, 2, 3, 4), 1.3)}, lambda x: F.interpolate(x, size=(7, 5), mode="bilinear", align_corners=False))
case("bilinear_down", {"x": ramp((1, 1, 6, 7), 1.4)}, lambda x: F.interpolate(x, size=(4, 3), mode="bilinear", align_corners=False))
case("nearest", {"x": ramp((1, 2, 4, 5), 1.5)}, lambda x: F.interpolate(x, size=(7, 3), mode="nearest"))
case("avg_pool2d", {"x": ramp((1, 2, 5, 6), 1.6)}, lambda x: F.avg_pool2d(x, (3, 2), (1, 2)))
case("softmax", {"x": ramp((3, 5), 1.7, 3.0)}, lambda x: F.softmax(x, -1))
case("log_softmax", {"x": ramp((3, 5), 1.8, 3.0)}, lambda x: F.log_softmax(x, -1))


def attention(q, k, v, heads=2):
    B, Lq, D = q.shape
    Lk = k.shape[1]
    dh = D // heads
    qh = q.reshape(B, Lq, heads, dh).transpose(1, 2)
    kh = k.reshape(B, Lk, heads, dh).transpose(1, 2)
    vh = v.reshape(B, Lk, heads, dh).transpose(1, 2)
    w = torch.softmax(qh @ kh.transpose(-1, -2) / math.sqrt(dh), -1)
    return (w @ vh).transpose(1, 2).reshape(B, Lq, D)


case("attention", {"q": ramp((2, 3, 4), 1.9), "k": ramp((2, 5, 4), 2.0), "v": ramp((2, 5, 4), 2.1)}, attention)
case("silu", {"x": ramp((17,), 2.2, 6.0)}, lambda x: F.silu(x))
case("softplus", {"x": ramp((17,), 2.3, 30.0)}, lambda x: F.softplus(x))
case("tanh", {"x": ramp((17,), 2.4, 4.0)}, lambda x: torch.tanh(x))
case("sigmoid", {"x": ramp((17,), 2.5, 6.0)}, lambda x: torch.sigmoid(x))
case("leaky_relu", {"x": ramp((17,), 2.6)}, lambda x: F.leaky_relu(x, 0.2))
case("mse", {"a": ramp((2, 3), 2.7), "b": ramp((2, 3), 2.8)}, lambda a, b: F.mse_loss(a, b).reshape(1))
case("linear", {"x": ramp((2, 3, 4), 2.9), "w": ramp((5, 4), 3.0), "b": ramp((5,), 3.1)}, lambda x, w, b: F.linear(x, w, b))

print(json.dumps({"generator": "torchref.py, torch " + torch.__version__, "cases": cases}))
