"""PyTorch peer for bench/gru.ts: one training step = GRU(units) over padded particle sequences
[B, T, F] (batch first), the state at each sequence's last real step, Linear(units, 3), softmax
cross-entropy, Adam. Prints one JSON line with events/s.

Usage: /usr/bin/python3 bench/gru_torch.py data.npz UNITS SECONDS THREADS MODE
MODE padded: every step of T computed (what sciml's fused op computes);
MODE packed: pack_padded_sequence, padded steps skipped.
"""
import json
import sys
import time

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence

from torch_kernels import kernel_config


def main():
    path, units, seconds, threads, mode = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    arrays = np.load(path)
    x = torch.from_numpy(arrays["x"].astype(np.float32))
    lengths = torch.from_numpy(arrays["lengths"].astype(np.int64))
    labels = torch.from_numpy(arrays["labels"].astype(np.int64))
    B, T, Fdim = x.shape
    gru = nn.GRU(Fdim, units, batch_first=True)
    head = nn.Linear(units, 3)
    optimizer = torch.optim.Adam(list(gru.parameters()) + list(head.parameters()), lr=1e-3)
    rows = torch.arange(B)

    def step():
        optimizer.zero_grad()
        if mode == "packed":
            _, h = gru(pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False))
            last = h[0]
        else:
            out, _ = gru(x)
            last = out[rows, lengths - 1]
        loss = F.cross_entropy(head(last), labels)
        loss.backward()
        optimizer.step()

    step()
    steps = 0
    start = time.perf_counter()
    while True:
        step()
        steps += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds and steps >= 2:
            break
    print(json.dumps({"events_per_s": steps * B / elapsed, "steps": steps, "mode": mode, "threads": threads, "torch": torch.__version__, "kernels": kernel_config()}))


if __name__ == "__main__":
    main()
