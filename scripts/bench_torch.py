#!/usr/bin/env python3
"""PyTorch side of genfwi's tensor-engine benchmarks (docs/benchmarks.md).

Runs the same networks, batch sizes, losses and optimisers as
`genfwi bench nn-refae|nn-inversionnet|wise-cpu`, so that both can be measured
side by side on one machine (only ratios carry over between machines):

    /usr/bin/python3 scripts/bench_torch.py nn-refae --threads 2 --json

Needs PyTorch (Debian: apt-get install python3-torch, PyTorch 1.13 CPU). Not
part of the test suite. Prints one JSON object as the last line of stdout with
train_step_ms, forward_ms (or sample_ms), params and peak_rss_mb, the same
field names as genfwi's cases.
"""

import argparse
import json
import resource
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def timed(fn, warm, reps):
    for _ in range(warm):
        fn()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return 1e3 * statistics.median(ts)


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


# --- nn-refae: the reference autoencoder (930 949 parameters) ---------------

def conv3(ci, co, stride=1):
    return nn.Conv2d(ci, co, 3, stride, 1)


class Res(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.norm1, self.conv1 = nn.GroupNorm(8, c), conv3(c, c)
        self.norm2, self.conv2 = nn.GroupNorm(8, c), conv3(c, c)

    def forward(self, x):
        h = self.conv1(F.silu(self.norm1(x)))
        return x + self.conv2(F.silu(self.norm2(h)))


class RefAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc_in = conv3(1, 32)
        self.n1, self.down1 = nn.GroupNorm(8, 32), conv3(32, 64, 2)
        self.res1 = Res(64)
        self.n2, self.down2 = nn.GroupNorm(8, 64), conv3(64, 128, 2)
        self.res2 = Res(128)
        self.nl, self.to_latent = nn.GroupNorm(8, 128), nn.Conv2d(128, 4, 1)
        self.from_latent = conv3(4, 128)
        self.res3 = Res(128)
        self.nu1, self.up1 = nn.GroupNorm(8, 128), conv3(128, 64)
        self.res4 = Res(64)
        self.nu2, self.up2 = nn.GroupNorm(8, 64), conv3(64, 32)
        self.no, self.out = nn.GroupNorm(8, 32), conv3(32, 1)

    def forward(self, x):
        up = lambda v: F.interpolate(v, scale_factor=2, mode="nearest")
        h = self.enc_in(x)
        h = self.res1(self.down1(F.silu(self.n1(h))))
        h = self.res2(self.down2(F.silu(self.n2(h))))
        z = self.to_latent(F.silu(self.nl(h)))
        h = self.res3(self.from_latent(z))
        h = self.res4(self.up1(up(F.silu(self.nu1(h)))))
        h = self.up2(up(F.silu(self.nu2(h))))
        return self.out(F.silu(self.no(h)))


def bench_refae(warm, reps):
    m = RefAE()
    opt = torch.optim.Adam(m.parameters(), lr=1e-3)

    def step():
        x, y = torch.randn(16, 1, 64, 64), torch.randn(16, 1, 64, 64)
        opt.zero_grad(set_to_none=False)
        F.mse_loss(m(x), y).backward()
        opt.step()

    train = timed(step, warm, reps)
    x = torch.randn(16, 1, 64, 64)
    with torch.no_grad():
        fwd = timed(lambda: m(x), warm, reps)
    return {"train_step_ms": train, "forward_ms": fwd, "params": nparams(m)}


# --- nn-inversionnet: OpenFWI's InversionNet (24 409 123 parameters) --------

def leaky_relu(x):
    """LeakyReLU with negative slope 0.2."""
    return F.leaky_relu(x, 0.2)


class ConvBlock(nn.Module):
    """Conv, BatchNorm, activation (OpenFWI's ConvBlock; ConvBlock_Tanh
    with act=torch.tanh)."""

    def __init__(self, ci, co, k=(3, 3), s=(1, 1), p=(1, 1), act=leaky_relu):
        super().__init__()
        self.conv = nn.Conv2d(ci, co, k, s, p)
        self.bn = nn.BatchNorm2d(co)
        self.act = act

    def forward(self, x):
        return self.act(self.bn(self.conv(x)))


class DeconvBlock(nn.Module):
    def __init__(self, ci, co, k=2, s=2, p=0):
        super().__init__()
        self.deconv = nn.ConvTranspose2d(ci, co, k, s, p)
        self.bn = nn.BatchNorm2d(co)

    def forward(self, x):
        return leaky_relu(self.bn(self.deconv(x)))


class InversionNet(nn.Module):
    def __init__(self, d1=32, d2=64, d3=128, d4=256, d5=512):
        super().__init__()
        self.enc = nn.Sequential(
            ConvBlock(5, d1, (7, 1), (2, 1), (3, 0)),
            ConvBlock(d1, d2, (3, 1), (2, 1), (1, 0)), ConvBlock(d2, d2, (3, 1), (1, 1), (1, 0)),
            ConvBlock(d2, d2, (3, 1), (2, 1), (1, 0)), ConvBlock(d2, d2, (3, 1), (1, 1), (1, 0)),
            ConvBlock(d2, d3, (3, 1), (2, 1), (1, 0)), ConvBlock(d3, d3, (3, 1), (1, 1), (1, 0)),
            ConvBlock(d3, d3, s=(2, 2)), ConvBlock(d3, d3),
            ConvBlock(d3, d4, s=(2, 2)), ConvBlock(d4, d4),
            ConvBlock(d4, d4, s=(2, 2)), ConvBlock(d4, d4),
            ConvBlock(d4, d5, k=(8, 9), p=(0, 0)))
        self.dec = nn.Sequential(
            DeconvBlock(d5, d5, k=5), ConvBlock(d5, d5),
            DeconvBlock(d5, d4, k=4, s=2, p=1), ConvBlock(d4, d4),
            DeconvBlock(d4, d3, k=4, s=2, p=1), ConvBlock(d3, d3),
            DeconvBlock(d3, d2, k=4, s=2, p=1), ConvBlock(d2, d2),
            DeconvBlock(d2, d1, k=4, s=2, p=1), ConvBlock(d1, d1))
        self.out = ConvBlock(d1, 1, act=torch.tanh)

    def forward(self, x):
        h = self.dec(self.enc(x))
        return self.out(F.pad(h, [-5, -5, -5, -5]))


def bench_inversionnet(warm, reps):
    m = InversionNet()
    opt = torch.optim.AdamW(m.parameters(), lr=1e-4, weight_decay=1e-4)

    def step():
        x, y = torch.randn(16, 5, 1000, 70), torch.randn(16, 1, 70, 70)
        opt.zero_grad(set_to_none=False)
        F.l1_loss(m(x), y).backward()
        opt.step()

    m.train()
    train = timed(step, warm, reps)
    m.eval()
    x = torch.randn(16, 5, 1000, 70)
    with torch.no_grad():
        fwd = timed(lambda: m(x), warm, reps)
    return {"train_step_ms": train, "forward_ms": fwd, "params": nparams(m)}


# --- wise-cpu: summary UNet + conditional Glow ------------------------------

def squeeze(x):
    # Checkerboard squeeze: channel block k = ox + 2·oy holds x[:, :, ox::2, oy::2].
    n, c, h, w = x.shape
    y = x.reshape(n, c, h // 2, 2, w // 2, 2).permute(0, 5, 3, 1, 2, 4)
    return y.reshape(n, 4 * c, h // 2, w // 2)


def unsqueeze(y):
    n, c4, h, w = y.shape
    c = c4 // 4
    x = y.reshape(n, 2, 2, c, h, w).permute(0, 3, 4, 2, 5, 1)
    return x.reshape(n, c, 2 * h, 2 * w)


def half(n):
    h = n // 2
    if n % 2 == 1 and h % 2 == 1:
        h += 1
    return h


class ActNorm(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.s = nn.Parameter(torch.ones(c))
        self.b = nn.Parameter(torch.zeros(c))
        self.initialized = False

    def _init(self, x):
        with torch.no_grad():
            mu = x.mean(dim=(0, 2, 3))
            sd = x.std(dim=(0, 2, 3)).clamp_min(1e-12)
            self.s.copy_(1 / sd)
            self.b.copy_(-mu / sd)
        self.initialized = True

    def forward(self, x):
        if not self.initialized:
            self._init(x)
        y = x * self.s.view(1, -1, 1, 1) + self.b.view(1, -1, 1, 1)
        return y, x.shape[2] * x.shape[3] * torch.log(self.s.abs()).sum()

    def apply_(self, x):
        if not self.initialized:
            self._init(x)
        return x * self.s.view(1, -1, 1, 1) + self.b.view(1, -1, 1, 1)

    def inverse(self, y):
        return (y - self.b.view(1, -1, 1, 1)) / self.s.view(1, -1, 1, 1)


class Householder(nn.Module):
    def __init__(self, c):
        super().__init__()
        b = (6 / (1 + c)) ** 0.5
        self.v = nn.ParameterList([nn.Parameter(torch.empty(c).uniform_(-b, b)) for _ in range(3)])

    @staticmethod
    def refl(v):
        return torch.eye(v.numel()) - 2 * torch.outer(v, v) / (v @ v)

    def forward(self, x):
        wt = self.refl(self.v[2]) @ self.refl(self.v[1]) @ self.refl(self.v[0])
        return F.conv2d(x, wt[:, :, None, None])

    def inverse(self, y):
        w = self.refl(self.v[0]) @ self.refl(self.v[1]) @ self.refl(self.v[2])
        return F.conv2d(y, w[:, :, None, None])


class RB(nn.Module):
    def __init__(self, ci, hid, co):
        super().__init__()
        self.c1 = nn.Conv2d(ci, hid, 3, 1, 1)
        self.c2 = nn.Conv2d(hid, hid, 1)
        self.c3 = nn.Conv2d(hid, co, 3, 1, 1)

    def forward(self, x):
        h1 = F.relu(self.c1(x))
        h2 = F.relu(h1 + self.c2(h1))
        return F.relu(self.c3(h2))


class Coupling(nn.Module):
    def __init__(self, n, nc, hid):
        super().__init__()
        self.k = half(n)
        self.mix = Householder(n)
        self.rb = RB(n - self.k + nc, hid, 2 * self.k)

    def st(self, x2, c):
        a, t = self.rb(torch.cat([x2, c], 1)).split([self.k, self.k], 1)
        return 0.5 + 0.5 * torch.sigmoid(a), t

    def forward(self, x, c):
        x1, x2 = self.mix(x).split([self.k, x.shape[1] - self.k], 1)
        s, t = self.st(x2, c)
        return torch.cat([s * x1 + t, x2], 1), torch.log(s).sum(dim=(1, 2, 3))

    def inverse(self, y, c):
        y1, y2 = y.split([self.k, y.shape[1] - self.k], 1)
        s, t = self.st(y2, c)
        return self.mix.inverse(torch.cat([(y1 - t) / s, y2], 1))


class Glow(nn.Module):
    def __init__(self, L=3, K=6, hid=32):
        super().__init__()
        self.cond_norm = ActNorm(1)
        self.levels = nn.ModuleList()
        self.split = []
        n, nc = 1, 1
        for lvl in range(L):
            n, nc = 4 * n, 4 * nc
            self.levels.append(nn.ModuleList(
                nn.ModuleList([ActNorm(n), Coupling(n, nc, hid)]) for _ in range(K)))
            if lvl < L - 1:
                self.split.append(n - half(n))
                n = half(n)

    def conds(self, c):
        c = self.cond_norm.apply_(c)
        out = []
        for _ in self.levels:
            c = squeeze(c)
            out.append(c)
        return out

    def forward(self, x, c):
        cs = self.conds(c)
        n = x.shape[0]
        parts, logdet, h = [], 0, x
        for i, lv in enumerate(self.levels):
            h = squeeze(h)
            for norm, cpl in lv:
                h, ld = norm(h)
                logdet = logdet + ld
                h, ld = cpl(h, cs[i])
                logdet = logdet + ld
            if i < len(self.levels) - 1:
                keep = h.shape[1] - self.split[i]
                h, zi = h.split([keep, self.split[i]], 1)
                parts.append(zi.reshape(n, -1))
        parts.append(h.reshape(n, -1))
        return torch.cat(parts, 1).reshape(x.shape), logdet

    def inverse(self, z, c):
        cs = self.conds(c)
        n, _, H, W = z.shape
        shapes = []
        ch, h, w = 1, H, W
        for i in range(len(self.levels)):
            ch, h, w = 4 * ch, h // 2, w // 2
            if i < len(self.levels) - 1:
                shapes.append((self.split[i], h, w))
                ch = ch - self.split[i]
            else:
                shapes.append((ch, h, w))
        flat = z.reshape(n, -1).split([a * b * d for a, b, d in shapes], 1)
        L = len(self.levels)
        y = flat[L - 1].reshape(n, *shapes[L - 1])
        for i in range(L - 1, -1, -1):
            if i < L - 1:
                y = torch.cat([y, flat[i].reshape(n, *shapes[i])], 1)
            for norm, cpl in reversed(self.levels[i]):
                y = norm.inverse(cpl.inverse(y, cs[i]))
            y = unsqueeze(y)
        return y


class CBN(nn.Module):
    def __init__(self, ci, co, k, s, p):
        super().__init__()
        self.conv, self.bn = nn.Conv2d(ci, co, k, s, p), nn.BatchNorm2d(co)

    def forward(self, x):
        return leaky_relu(self.bn(self.conv(x)))


class Up(nn.Module):
    def __init__(self, ci, co):
        super().__init__()
        self.conv, self.bn = nn.ConvTranspose2d(ci, co, 2, 2), nn.BatchNorm2d(co)

    def forward(self, x):
        return self.bn(self.conv(leaky_relu(x)))


class SummaryUNet(nn.Module):
    def __init__(self, cin=21, base=32, depth=4):
        super().__init__()
        w = [base << i for i in range(depth)]
        self.blocks = nn.ModuleList([CBN(cin, w[0], 3, 1, 1)])
        self.downs = nn.ModuleList()
        for i in range(1, depth):
            self.downs.append(CBN(w[i - 1], w[i - 1], 4, 2, 1))
            self.blocks.append(CBN(w[i - 1], w[i], 3, 1, 1))
        self.blocks.append(CBN(w[-1], w[-1], 3, 1, 1))
        self.ups = nn.ModuleList()
        cin_up = w[-1]
        for i in range(depth - 2, -1, -1):
            self.ups.append(Up(cin_up, w[i]))
            cin_up = 2 * w[i]
        self.out = nn.Conv2d(cin_up, 1, 1)
        self.depth = depth

    def forward(self, x):
        skips = [self.blocks[0](x)]
        for i in range(1, self.depth):
            skips.append(self.blocks[i](self.downs[i - 1](skips[i - 1])))
        h = self.blocks[self.depth](skips[-1])
        for k, up in enumerate(self.ups):
            h = torch.cat([up(h), skips[self.depth - 2 - k]], 1)
        return torch.tanh(self.out(leaky_relu(h)))


def bench_wise(warm, reps):
    flow, summ = Glow(), SummaryUNet()
    params = list(flow.parameters()) + list(summ.parameters())
    opt = torch.optim.Adam(params, lr=8e-4)

    def step():
        x, y = torch.randn(8, 1, 64, 64), torch.randn(8, 21, 64, 64)
        summ.train()
        opt.zero_grad(set_to_none=False)
        z, ld = flow(x, summ(y))
        loss = (0.5 * (z * z).sum() / 8 - ld.sum() / 8) / 4096
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 3.0)
        opt.step()

    train = timed(step, warm, reps)
    summ.eval()
    y = torch.randn(1, 21, 64, 64)

    def draw():
        with torch.no_grad():
            c = summ(y).repeat(8, 1, 1, 1)
            flow.inverse(torch.randn(8, 1, 64, 64), c)

    sample = timed(draw, warm, reps)
    return {"train_step_ms": train, "sample_ms": sample, "params": nparams(flow) + nparams(summ),
            "params_flow": nparams(flow), "params_summary": nparams(summ)}


def nparams(m):
    return sum(p.numel() for p in m.parameters())


CASES = {"nn-refae": (bench_refae, 7), "nn-inversionnet": (bench_inversionnet, 5), "wise-cpu": (bench_wise, 7)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("case", choices=sorted(CASES))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=0, help="timed repetitions (default per case)")
    ap.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    fn, reps = CASES[a.case]
    out = fn(2, a.repeat or reps)
    out.update({"case": a.case, "framework": "pytorch " + torch.__version__, "threads": torch.get_num_threads(),
                "peak_rss_mb": peak_rss_mb()})
    if a.json:
        print(json.dumps(out))
    else:
        for k, v in out.items():
            print(f"{k}: {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
