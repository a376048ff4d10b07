"""The whitened CNN and its fast recipe in PyTorch (airbench94's published design and
hyper-parameters), trained on the same CIFAR-10 JPEG folder as Ocellus, with a held-out
validation share, printing validation accuracy per epoch and with test-time views at the end:
a reference for `ocellus train classify --arch whitened-cnn`. Not part of CI.

    python torch_whitened_cnn.py DATA_DIR [EPOCHS=10] [THREADS=2] [TRAIN=40000]
"""
import math
import pathlib
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image


def load(root):
    root = pathlib.Path(root)
    labels = (root / "labels.txt").read_text().split()
    xs, ys = [], []
    for k, label in enumerate(labels):
        for path in sorted((root / "train" / label).iterdir()):
            xs.append(np.asarray(Image.open(path).convert("RGB")))
            ys.append(k)
    x = torch.tensor(np.stack(xs)).permute(0, 3, 1, 2).float() / 255
    return x, torch.tensor(ys)


class Group(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1, bias=False)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.norm1 = nn.BatchNorm2d(cout, eps=1e-12, momentum=0.4)
        self.norm2 = nn.BatchNorm2d(cout, eps=1e-12, momentum=0.4)
        for conv in (self.conv1, self.conv2):
            nn.init.dirac_(conv.weight.data[:cin])
        for norm in (self.norm1, self.norm2):
            norm.weight.requires_grad = False

    def forward(self, x):
        x = F.gelu(self.norm1(F.max_pool2d(self.conv1(x), 2)))
        return F.gelu(self.norm2(self.conv2(x)))


def make_net(train_images):
    whiten = nn.Conv2d(3, 24, 2)
    net = nn.Sequential(whiten, nn.GELU(), Group(24, 64), Group(64, 256), Group(256, 256),
                        nn.MaxPool2d(3), nn.Flatten(), nn.Linear(256, 10, bias=False))
    # Patch whitening: eigenvectors of the 2x2 patch covariance, scaled, with their negations.
    p = train_images.unfold(2, 2, 1).unfold(3, 2, 1).permute(0, 2, 3, 1, 4, 5).reshape(-1, 12).double()
    mean = p.mean(0)
    cov = ((p - mean).T @ (p - mean)) / len(p)
    eps = 5e-4 * cov.trace() / 12
    values, vectors = torch.linalg.eigh(cov)
    values, vectors = values.flip(0), vectors.T.flip(0)
    w = vectors / torch.sqrt(values.clamp(min=0) + eps)[:, None]
    w = torch.cat([w, -w])
    whiten.weight.data[:] = w.reshape(24, 3, 2, 2).float()
    whiten.bias.data[:] = -(w @ mean).float()
    whiten.weight.requires_grad = False
    return net


def logits(net, x, views):
    both = lambda v: 0.5 * (net(v) + net(v.flip(-1)))
    if views == 1:
        return net(x) / 9
    padded = F.pad(x, (1,) * 4, "reflect")
    shifted = 0.5 * (both(padded[:, :, :32, :32]) + both(padded[:, :, 2:, 2:]))
    return (0.5 * both(x) + 0.5 * shifted) / 9


def accuracy(net, x, y, views=1):
    net.eval()
    with torch.no_grad():
        right = sum((logits(net, xb, views).argmax(1) == yb).sum().item() for xb, yb in zip(x.split(1000), y.split(1000)))
    net.train()
    return right / len(y)


def main():
    root, epochs = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 10
    torch.set_num_threads(int(sys.argv[3]) if len(sys.argv) > 3 else 2)
    n_train = int(sys.argv[4]) if len(sys.argv) > 4 else 40000
    torch.manual_seed(0)
    x, y = load(root)
    order = torch.randperm(len(y))
    train, val = order[:n_train], order[n_train:n_train + 5000]
    xt, yt, xv, yv = x[train], y[train], x[val], y[val]
    net = make_net(xt[:5000])
    batch, momentum = 1024, 0.85
    lr, wd_step = 1.5, 0.002                  # per mean-loss step, as Ocellus's recipe
    norm_biases = [p for n, p in net.named_parameters() if "norm" in n and p.requires_grad]
    others = [p for n, p in net.named_parameters() if "norm" not in n and p.requires_grad]
    opt = torch.optim.SGD([dict(params=norm_biases, lr=lr * 64, weight_decay=wd_step / (lr * 64)),
                           dict(params=others, lr=lr, weight_decay=wd_step / lr)], momentum=momentum, nesterov=True)
    base = [g["lr"] for g in opt.param_groups]
    steps_per_epoch = math.ceil(n_train / batch)
    total = steps_per_epoch * epochs
    ema = {k: v.clone() for k, v in net.state_dict().items()}
    step, start = 0, time.time()
    for epoch in range(epochs):
        net[0].bias.requires_grad = epoch < 3
        perm = torch.randperm(n_train)
        for b in range(steps_per_epoch):
            idx = perm[b * batch:(b + 1) * batch]
            xb = F.pad(xt[idx], (2,) * 4, "reflect")
            s = torch.randint(0, 5, (2,))
            xb = xb[:, :, s[0]:s[0] + 32, s[1]:s[1] + 32]          # one shift per batch (cheap)
            flip = torch.rand(len(idx)) < 0.5
            xb = torch.where(flip[:, None, None, None], xb.flip(-1), xb)
            t = step / total
            factor = 0.2 + 0.8 * t / 0.23 if t < 0.23 else 1 + (0.07 - 1) * (t - 0.23) / 0.77
            for g, l in zip(opt.param_groups, base):
                g["lr"] = l * factor
            loss = F.cross_entropy(net(xb) / 9, yt[idx], label_smoothing=0.2)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            step += 1
            if step % 5 == 0:
                decay = 0.95 ** 5 * (step / total) ** 3
                for k, v in net.state_dict().items():
                    if v.dtype.is_floating_point:
                        ema[k].lerp_(v, 1 - decay)
                        v.copy_(ema[k])
        print(f"epoch {epoch + 1}/{epochs}  val {accuracy(net, xv, yv):.4f}  {time.time() - start:.0f} s", flush=True)
    print(f"val with 6 views {accuracy(net, xv, yv, 6):.4f}", flush=True)


if __name__ == "__main__":
    main()
