"""PyTorch's training step for the models `ocellus bench-step` times, built the same way
(LeNet; ResNet-18 CIFAR width 64; the captcha ResNet-18: width 8, 56x24 input, the last
feature map pooled into 4 columns, 4 x 36 logits), with the same loss, Adam (lr 1e-3) and
batch, on random data. Prints one JSON line like bench-step's. Run through
scripts/bench-training.sh. Not part of CI.

    python torch_train_step.py MODEL THREADS [BATCH] [STEPS]
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


def main():
    model_name, threads = sys.argv[1], int(sys.argv[2])
    batch = int(sys.argv[3]) if len(sys.argv) > 3 else 100
    steps = int(sys.argv[4]) if len(sys.argv) > 4 else 3
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    if model_name == "lenet":
        model, shape, symbols, length = LeNet(), (3, 32, 32), 10, 1
    elif model_name == "resnet18":
        model, shape, symbols, length = ResNet18(64, 10, 1), (3, 32, 32), 10, 1
    else:
        model, shape, symbols, length = ResNet18(8, 4 * 36, 4), (3, 24, 56), 36, 4
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.rand(batch, *shape)
    y = torch.arange(batch * length) % symbols

    def step():
        """Milliseconds of (whole step, forward + loss, backward, optimizer)."""
        start = time.perf_counter()
        opt.zero_grad()
        loss = F.cross_entropy(model(x).reshape(-1, symbols), y)
        forward = time.perf_counter()
        loss.backward()
        backward = time.perf_counter()
        opt.step()
        loss.item()
        end = time.perf_counter()
        return tuple(ms * 1000 for ms in (end - start, forward - start, backward - forward, end - backward))

    step()
    runs = [step() for _ in range(max(steps, 1))]
    median = lambda i: sorted(r[i] for r in runs)[len(runs) // 2]
    ms = sorted(r[0] for r in runs)
    print(json.dumps({"impl": "pytorch " + torch.__version__.split("+")[0], "model": model_name, "threads": threads,
                      "batch": batch, "ms": ms[len(ms) // 2], "ms_all": ms,
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "phases_ms": {"forward": median(1), "backward": median(2), "optimizer": median(3)}}))

if __name__ == "__main__":
    main()
