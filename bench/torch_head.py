"""PyTorch reference for `deno task bench:head`: trains the reference head on random features and
prints one JSON line per timed epoch (wall and CPU seconds, extrapolated to a full epoch).

The head is MemeCLIP's (as tests/fixtures/model/make_torch_reference.py builds it): LinearProjection
768→1024 with Dropout(0.1), CLIP-Adapter (reduction 4), residual mix at ratio 0.2, L2 norm, product
fusion, pre-output Dropout(0.4) → Linear → ReLU → Dropout(0.2), cosine classifier (scale 30);
AdamW(lr 1e-4, weight decay 1e-4), cross-entropy, batch 16, shuffled, training mode.

Run with Debian's python3-torch:
  /usr/bin/python3 bench/torch_head.py [--n 4328] [--batch-size 16] [--steps 0] [--epochs 1]
                                       [--threads 1]

`--threads` sets torch's intra-op threads and the BLAS library's. Debian's torch does its matrix
products through the system BLAS (`libblas.so.3`, OpenBLAS where it is installed), whose threads
`torch.set_num_threads` does not control: without `OPENBLAS_NUM_THREADS` it uses every core while
torch reports one thread.
"""
import argparse
import json
import math
import os
import time

THREADS_PARSER = argparse.ArgumentParser(add_help=False)
THREADS_PARSER.add_argument("--threads", type=int, default=1)
_threads = str(THREADS_PARSER.parse_known_args()[0].threads)
# Read by OpenBLAS and OpenMP when torch loads them, so set before the import.
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
    os.environ[_name] = _threads

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402


class Head(nn.Module):
    def __init__(self, d_in=768, d=1024, reduction=4, classes=2, p=(0.1, 0.4, 0.2), ratio=0.2,
                 scale=30.0):
        super().__init__()
        self.image_map = nn.Sequential(nn.Linear(d_in, d), nn.Dropout(p[0]))
        self.text_map = nn.Sequential(nn.Linear(d_in, d), nn.Dropout(p[0]))
        self.img_adapter = nn.Sequential(nn.Linear(d, d // reduction, bias=False), nn.ReLU(),
                                         nn.Linear(d // reduction, d, bias=False), nn.ReLU())
        self.text_adapter = nn.Sequential(nn.Linear(d, d // reduction, bias=False), nn.ReLU(),
                                          nn.Linear(d // reduction, d, bias=False), nn.ReLU())
        self.pre_output = nn.Sequential(nn.Dropout(p[1]), nn.Linear(d, d), nn.ReLU(),
                                        nn.Dropout(p[2]))
        self.weight = nn.Parameter(torch.empty(classes, d).uniform_(-1, 1))
        self.ratio, self.scale = ratio, scale

    def forward(self, image, text):
        ip, tp = self.image_map(image), self.text_map(text)
        i = self.ratio * self.img_adapter(ip) + (1 - self.ratio) * ip
        t = self.ratio * self.text_adapter(tp) + (1 - self.ratio) * tp
        i = i / i.norm(dim=-1, keepdim=True)
        t = t / t.norm(dim=-1, keepdim=True)
        x = self.pre_output(i * t)
        return F.linear(F.normalize(x, dim=-1), F.normalize(self.weight, dim=-1)) * self.scale


def main():
    ap = argparse.ArgumentParser(parents=[THREADS_PARSER])
    ap.add_argument("--n", type=int, default=4328)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--steps", type=int, default=0, help="steps per timed epoch (0 = all)")
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--seed", type=int, default=42)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    image, text = torch.randn(a.n, 768), torch.randn(a.n, 768)
    labels = torch.randint(0, 2, (a.n,))
    head = Head()
    head.train()
    opt = torch.optim.AdamW(head.parameters(), lr=1e-4, weight_decay=1e-4)
    full = math.ceil(a.n / a.batch_size)

    def epoch(max_steps):
        order = torch.randperm(a.n)
        steps = 0
        for start in range(0, a.n, a.batch_size):
            if max_steps and steps >= max_steps:
                break
            rows = order[start:start + a.batch_size]
            opt.zero_grad()
            loss = F.cross_entropy(head(image[rows], text[rows]), labels[rows])
            loss.backward()
            opt.step()
            steps += 1
        return steps

    epoch(3)  # warm-up
    for _ in range(a.epochs):
        t0, c0 = time.perf_counter(), time.process_time()
        steps = epoch(a.steps)
        seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
        print(json.dumps({"steps": steps, "seconds": seconds, "epochSeconds": seconds / steps * full,
                          "epochCpuSeconds": cpu / steps * full,
                          "threads": torch.get_num_threads(),
                          "blasThreads": int(os.environ["OPENBLAS_NUM_THREADS"]),
                          "torch": torch.__version__}),
              flush=True)


if __name__ == "__main__":
    main()
