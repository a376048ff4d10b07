"""PyTorch's training step for the models `ocellus bench-step` times, built the same way
(LeNet; ResNet-18 CIFAR width 64; the captcha ResNet-18: width 8, 56x24 input, the last
feature map pooled into 4 columns, 4 x 36 logits; with Adam at lr 1e-3; and the whitened CNN
with the fast recipe's Nesterov SGD and label smoothing), with the same loss and batch, on
random data. Prints one JSON line like bench-step's. Run through
scripts/bench-training.sh. Not part of CI.

    python torch_train_step.py MODEL THREADS [BATCH] [STEPS] [DEVICE: cpu (default) or cuda]
"""
import json
import resource
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class LeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1, self.conv2 = nn.Conv2d(3, 6, 5), nn.Conv2d(6, 16, 5)
        self.fc1, self.fc2, self.fc3 = nn.Linear(400, 120), nn.Linear(120, 60), nn.Linear(60, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2).flatten(1)
        x = F.dropout(F.relu(self.fc1(x)), 0.1, self.training)
        x = F.dropout(F.relu(self.fc2(x)), 0.1, self.training)
        return self.fc3(x)


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(y)) + self.shortcut(x))


class ResNet18(nn.Module):
    def __init__(self, width, outputs, columns):
        super().__init__()
        self.conv1 = nn.Conv2d(3, width, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        blocks, cin = [], width
        for stage in range(4):
            cout = width << stage
            blocks += [Block(cin, cout, 1 if stage == 0 else 2), Block(cout, cout, 1)]
            cin = cout
        self.blocks = nn.Sequential(*blocks)
        self.columns = columns
        self.linear = nn.Linear(cin * columns, outputs)

    def forward(self, x):
        x = self.blocks(F.relu(self.bn1(self.conv1(x))))
        if self.columns == 1:
            x = x.mean((2, 3))
        else:
            x = F.adaptive_avg_pool1d(x.mean(2), self.columns).flatten(1)
        return self.linear(x)


class ConvGroup(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv1, self.conv2 = nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.norm1, self.norm2 = nn.BatchNorm2d(cout, eps=1e-12, momentum=0.4), nn.BatchNorm2d(cout, eps=1e-12, momentum=0.4)
        for norm in (self.norm1, self.norm2):
            norm.weight.requires_grad = False

    def forward(self, x):
        x = F.gelu(self.norm1(F.max_pool2d(self.conv1(x), 2)), approximate="tanh")
        return F.gelu(self.norm2(self.conv2(x)), approximate="tanh")


class WhitenedCnn(nn.Module):
    """airbench94's net, as Ocellus's whitened-cnn (width 64): frozen 2x2 whitening conv, three
    groups, global max-pool, bias-free head scaled by 1/9."""
    def __init__(self, width=64):
        super().__init__()
        self.whiten = nn.Conv2d(3, 24, 2)
        self.whiten.weight.requires_grad = False
        self.groups = nn.Sequential(ConvGroup(24, width), ConvGroup(width, 4 * width), ConvGroup(4 * width, 4 * width))
        self.head = nn.Linear(4 * width, 10, bias=False)

    def forward(self, x):
        x = self.groups(F.gelu(self.whiten(x), approximate="tanh"))
        return self.head(x.amax((2, 3))) / 9


def main():
    model_name, threads = sys.argv[1], int(sys.argv[2])
    batch = int(sys.argv[3]) if len(sys.argv) > 3 else 100
    steps = int(sys.argv[4]) if len(sys.argv) > 4 else 3
    device = torch.device(sys.argv[5] if len(sys.argv) > 5 else "cpu")
    # On a GPU the work is queued: wait for it before reading the clock.
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    if model_name == "lenet":
        model, shape, symbols, length = LeNet(), (3, 32, 32), 10, 1
    elif model_name == "resnet18":
        model, shape, symbols, length = ResNet18(64, 10, 1), (3, 32, 32), 10, 1
    elif model_name == "whitened-cnn":
        model, shape, symbols, length = WhitenedCnn(), (3, 32, 32), 10, 1
    else:
        model, shape, symbols, length = ResNet18(8, 4 * 36, 4), (3, 24, 56), 36, 4
    model.to(device).train()
    smoothing = 0.0
    if model_name == "whitened-cnn":
        # The fast recipe: Nesterov SGD, BatchNorm biases at 64x the rate, label smoothing 0.2.
        params = [p for p in model.parameters() if p.requires_grad]
        norm_biases = [p for n, p in model.named_parameters() if "norm" in n and p.requires_grad]
        others = [p for p in params if all(p is not q for q in norm_biases)]
        opt = torch.optim.SGD([dict(params=norm_biases, lr=96.0, weight_decay=0.002 / 96),
                               dict(params=others, lr=1.5, weight_decay=0.002 / 1.5)], momentum=0.85, nesterov=True)
        smoothing = 0.2
    else:
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.rand(batch, *shape).to(device)
    y = (torch.arange(batch * length) % symbols).to(device)

    def step():
        """Milliseconds of (whole step, forward + loss, backward, optimizer)."""
        sync()
        start = time.perf_counter()
        opt.zero_grad()
        loss = F.cross_entropy(model(x).reshape(-1, symbols), y, label_smoothing=smoothing)
        sync()
        forward = time.perf_counter()
        loss.backward()
        sync()
        backward = time.perf_counter()
        opt.step()
        loss.item()
        end = time.perf_counter()
        return tuple(ms * 1000 for ms in (end - start, forward - start, backward - forward, end - backward))

    step()
    runs = [step() for _ in range(max(steps, 1))]
    median = lambda i: sorted(r[i] for r in runs)[len(runs) // 2]
    ms = sorted(r[0] for r in runs)
    print(json.dumps({"impl": "pytorch " + torch.__version__.split("+")[0], "device": device.type, "model": model_name, "threads": threads,
                      "batch": batch, "ms": ms[len(ms) // 2], "ms_all": ms,
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "phases_ms": {"forward": median(1), "backward": median(2), "optimizer": median(3)}}))

if __name__ == "__main__":
    main()
