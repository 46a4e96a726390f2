"""A plain-torch prototype of the CIFAR-10 speedruns' tricks on 28 x 28 images.

What the conv family's time to accuracy could gain (issue 37, item 1), before
the estimator can express it: a frozen 2 x 2 whitening convolution (the
eigenvectors of the training images' patch covariance, and their negatives),
early-pooled blocks, a globally max-pooled head whose logits are divided by 8,
SGD with Nesterov momentum under a triangular schedule, label smoothing,
flips, test-time flips. Split, data and timing as in conv_time_to_accuracy.py
(10,000 training images held out for validation, CPU seconds, one thread).

    OMP_NUM_THREADS=1 python benchmarks/conv_prototype.py --name P6 \
        --widths 24,48,96 --epochs 10 --shift 0 --output results

Each run appends a JSON line to ``conv_prototype.jsonl`` in ``--output``.
"""

import argparse
import json
import math
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from sklearn.model_selection import train_test_split

from skfashion.datasets import fetch_fashion_mnist, fetch_mnist

torch.set_num_threads(1)
p = argparse.ArgumentParser()
p.add_argument("--name", required=True)
p.add_argument("--data", default="fashion")
p.add_argument("--n", type=int, default=5000)
p.add_argument("--final", action="store_true")
p.add_argument("--widths", default="32,64,128")
p.add_argument("--epochs", type=int, default=8)
p.add_argument("--bs", type=int, default=128)
p.add_argument("--lr", type=float, default=0.1)
p.add_argument("--opt", default="sgd")
p.add_argument("--wd", type=float, default=5e-4)
p.add_argument("--ls", type=float, default=0.1)
p.add_argument("--flip", type=int, default=1)
p.add_argument("--shift", type=int, default=2)
p.add_argument("--whiten", type=int, default=1)
p.add_argument("--ema", type=float, default=0.0)
p.add_argument("--tta", type=int, default=1)
p.add_argument("--bias_lr", type=float, default=1.0)  # multiplier of lr for BN params
p.add_argument("--second", type=int, default=1)  # second conv in each block
p.add_argument("--warm", type=float, default=0.2)
p.add_argument("--output", default=".")
a = p.parse_args()
torch.manual_seed(0)
np.random.seed(0)
fetch = fetch_fashion_mnist if a.data == "fashion" else fetch_mnist
X, y = fetch(subset="train", return_X_y=True)
X = np.asarray(X, np.float32)
y = np.asarray(y).astype(np.int64)
if a.final:
    Xtr, ytr = X, y
    Xv, yv = fetch(subset="test", return_X_y=True)
    Xv = np.asarray(Xv, np.float32)
    yv = np.asarray(yv).astype(np.int64)
else:
    Xtr, Xv, ytr, yv = train_test_split(
        X, y, test_size=10000, stratify=y, random_state=0
    )
    if a.n < len(Xtr):
        Xtr, _, ytr, _ = train_test_split(
            Xtr, ytr, train_size=a.n, stratify=ytr, random_state=0
        )
mean, std = Xtr.mean(), Xtr.std()
Xtr = torch.from_numpy((Xtr - mean) / std).reshape(-1, 1, 28, 28)
ytr = torch.from_numpy(ytr)
Xv = torch.from_numpy((Xv - mean) / std).reshape(-1, 1, 28, 28)
yv = torch.from_numpy(yv)
W = [int(w) for w in a.widths.split(",")]


def bn(c):
    return nn.BatchNorm2d(c)


class Block(nn.Module):
    def __init__(s, cin, cout, second):
        super().__init__()
        s.c1 = nn.Conv2d(cin, cout, 3, padding=1, bias=False)
        s.b1 = bn(cout)
        s.second = second
        if second:
            s.c2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
            s.b2 = bn(cout)

    def forward(s, x):
        x = F.max_pool2d(s.c1(x), 2, ceil_mode=True)
        x = F.gelu(s.b1(x))
        if s.second:
            x = F.gelu(s.b2(s.c2(x)))
        return x


class Net(nn.Module):
    def __init__(s):
        super().__init__()
        cin = 1
        if a.whiten:
            s.wh = nn.Conv2d(
                1, 8, 2, padding=0, bias=True
            )  # 2x2 patches: 4 eigvecs, +/- -> 8 ch, 27x27
            cin = 8
        s.blocks = nn.Sequential(
            *[Block(ci, co, a.second) for ci, co in zip([cin] + W[:-1], W)]
        )
        s.head = nn.Linear(W[-1], 10, bias=False)

    def forward(s, x):
        if a.whiten:
            x = F.gelu(s.wh(x))
        x = s.blocks(x)
        x = F.adaptive_max_pool2d(x, 1).flatten(1)
        return s.head(x) / 8.0 if a.opt == "sgd" else s.head(x)


net = Net()
if (
    a.whiten
):  # airbench: whitening init from patch covariance of training images, frozen
    patches = Xtr[:5000].unfold(2, 2, 1).unfold(3, 2, 1).transpose(1, 3).reshape(-1, 4)
    patches = patches - patches.mean(0)
    cov = patches.T @ patches / len(patches)
    ev, V = torch.linalg.eigh(cov)
    Wt = (V.T / torch.sqrt(ev[:, None] + 1e-2)).reshape(4, 1, 2, 2)
    net.wh.weight.data = torch.cat([Wt, -Wt])
    net.wh.weight.requires_grad = False
    net.wh.bias.data.zero_()
net = net.to(memory_format=torch.channels_last)
bn_params = [p for n, p in net.named_parameters() if ".b" in n and p.requires_grad]
other = [p for n, p in net.named_parameters() if ".b" not in n and p.requires_grad]
groups = [
    dict(params=other, wd=a.wd, lrm=1.0),
    dict(params=bn_params, wd=a.wd, lrm=a.bias_lr),
]
if a.opt == "sgd":
    opt = torch.optim.SGD(
        [dict(params=g["params"], weight_decay=g["wd"]) for g in groups],
        lr=a.lr,
        momentum=0.9,
        nesterov=True,
    )
else:
    opt = torch.optim.AdamW(
        [dict(params=g["params"], weight_decay=g["wd"]) for g in groups], lr=a.lr
    )
n = len(Xtr)
steps_per = math.ceil(n / a.bs)
total = steps_per * a.epochs


def lr_at(step):  # triangular: linear warm-up then linear down to 0
    f = step / total
    return a.lr * (f / a.warm if f < a.warm else (1 - f) / (1 - a.warm))


ema = None
if a.ema:
    ema = {k: v.detach().clone() for k, v in net.state_dict().items()}
crit = nn.CrossEntropyLoss(label_smoothing=a.ls)
g = torch.Generator().manual_seed(0)


def augment(xb):
    if a.shift:
        s = a.shift
        nb = len(xb)
        pad = F.pad(xb, (s, s, s, s))
        dy = torch.randint(0, 2 * s + 1, (nb,), generator=g)
        dx = torch.randint(0, 2 * s + 1, (nb,), generator=g)
        idx_r = (dy[:, None] + torch.arange(28))[:, None, :, None]
        idx_c = (dx[:, None] + torch.arange(28))[:, None, None, :]
        channel = torch.zeros(1, 1, 1, 1, dtype=torch.long)
        xb = pad[torch.arange(nb)[:, None, None, None], channel, idx_r, idx_c]
    if a.flip:
        m = torch.rand(len(xb), generator=g) < 0.5
        xb = torch.where(m[:, None, None, None], xb.flip(-1), xb)
    return xb


def evaluate(model_sd=None):
    if model_sd is not None:
        cur = {k: v.clone() for k, v in net.state_dict().items()}
        net.load_state_dict(model_sd)
    net.eval()
    outs = []
    with torch.no_grad():
        for i in range(0, len(Xv), 2000):
            xb = Xv[i : i + 2000].contiguous(memory_format=torch.channels_last)
            o = net(xb).softmax(1)
            if a.tta:
                o = o + net(
                    xb.flip(-1).contiguous(memory_format=torch.channels_last)
                ).softmax(1)
            outs.append(o)
    net.train()
    if model_sd is not None:
        net.load_state_dict(cur)
    return float((torch.cat(outs).argmax(1) == yv).float().mean())


t0 = time.process_time()
w0 = time.perf_counter()
excl = 0.0
wexcl = 0.0
step = 0
curve = []
for ep in range(a.epochs):
    perm = torch.randperm(n, generator=g)
    for i in range(0, n, a.bs):
        idx = perm[i : i + a.bs]
        xb = augment(Xtr[idx]).contiguous(memory_format=torch.channels_last)
        yb = ytr[idx]
        lr = lr_at(step)
        for gr, gi in zip(opt.param_groups, groups):
            gr["lr"] = lr * gi["lrm"]
        loss = crit(net(xb), yb)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        step += 1
        if ema is not None and step % 5 == 0:
            with torch.no_grad():
                for k, v in net.state_dict().items():
                    if v.dtype.is_floating_point:
                        ema[k].mul_(a.ema).add_(v, alpha=1 - a.ema)
                    else:
                        ema[k].copy_(v)
    t = time.process_time()
    w = time.perf_counter()
    if not a.final or ep == a.epochs - 1:
        acc = evaluate()
        curve.append((ep + 1, round(t - t0 - excl, 1), round(w - w0 - wexcl, 1), acc))
        print("epoch", curve[-1], flush=True)
    excl += time.process_time() - t
    wexcl += time.perf_counter() - w
cpu = time.process_time() - t0 - excl
wall = time.perf_counter() - w0 - wexcl
res = dict(
    name=a.name,
    kind="proto",
    data=a.data,
    n=n,
    final=a.final,
    args=vars(a),
    epochs=a.epochs,
    cpu=round(cpu, 1),
    wall=round(wall, 1),
    acc=curve[-1][3],
    curve=curve,
    n_params=sum(p.numel() for p in net.parameters()),
)
if a.tta:
    a.tta = 0
    res["acc_no_tta"] = evaluate()
    a.tta = 1
if ema is not None:
    res["acc_ema"] = evaluate(ema)
print(json.dumps(res), flush=True)
os.makedirs(a.output, exist_ok=True)
with open(os.path.join(a.output, "conv_prototype.jsonl"), "a") as f:
    f.write(json.dumps(res) + "\n")
