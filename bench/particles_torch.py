"""PyTorch peer for bench/particles.ts: the same Inclusive Classifier (masked GRU over the particle
list beside the 14 HLF, Dense widths, softmax) and the same HLF classifier, trained together on the
same batches (batch size, Adam, learning rate, epochs) on the same events, then scored on the same
held-out events. Prints one JSON line: events/s of training, macro ROC AUC of both, and McNemar's z.

With settings "padded": true the GRU runs over every padded step and takes the state at each
event's last real one (the work sciml does); otherwise over pack_padded_sequence (padded steps
skipped; torch 1.13's packed CPU GRU is pathologically slow over hundreds of steps).

Usage: /usr/bin/python3 bench/particles_torch.py data.npz '<settings json>' THREADS
Needs Debian's python3-torch and python3-sklearn.
"""
import json
import sys
import time

import numpy as np
import torch
from torch import nn
from sklearn.metrics import roc_auc_score

from torch_kernels import kernel_config


class Inclusive(nn.Module):
    def __init__(self, s):
        super().__init__()
        self.gru = nn.GRU(19, s["units"], batch_first=True)
        self.padded = s.get("padded", False)
        self.drop = nn.Dropout(s["dropout"])
        layers, width = [], s["units"] + 14
        for w in s["dense"]:
            layers += [nn.Linear(width, w), nn.ReLU()]
            width = w
        layers.append(nn.Linear(width, 3))
        self.head = nn.Sequential(*layers)

    def forward(self, hlf, particles, lengths):
        if self.padded:
            # every padded step, as sciml computes them; the state after each event's last real one
            out, _ = self.gru(particles)
            last = out[torch.arange(out.shape[0]), lengths.clamp(min=1) - 1]
        else:
            packed = nn.utils.rnn.pack_padded_sequence(particles, lengths.clamp(min=1).cpu(), batch_first=True, enforce_sorted=False)
            _, h = self.gru(packed)  # the state after each event's last real particle = Keras Masking + GRU
            last = h[0]
        return self.head(torch.cat([self.drop(last), self.drop(hlf)], 1))


class HLF(nn.Module):
    def __init__(self, s):
        super().__init__()
        self.drop = nn.Dropout(s["dropout"])
        layers, width = [], 14
        for w in s["baseline_dense"]:
            layers += [nn.Linear(width, w), nn.ReLU()]
            width = w
        layers.append(nn.Linear(width, 3))
        self.head = nn.Sequential(*layers)

    def forward(self, hlf):
        return self.head(self.drop(hlf))


def main():
    data = np.load(sys.argv[1])
    s = json.loads(sys.argv[2])
    torch.set_num_threads(int(sys.argv[3]))
    torch.manual_seed(s["seed"])
    t = {k: torch.from_numpy(data[k]) for k in data.files}
    # standardize as sciml does: HLF per column, particle features over real particles, padding kept at zero
    hm, hs = t["train_hlf"].mean(0), t["train_hlf"].std(0).clamp(min=1e-6)
    real = torch.arange(t["train_particles"].shape[1])[None, :] < t["train_count"][:, None]
    flat = t["train_particles"][real]
    pm, ps = flat.mean(0), flat.std(0).clamp(min=1e-6)

    def prep(prefix):
        mask = (torch.arange(t[prefix + "_particles"].shape[1])[None, :] < t[prefix + "_count"][:, None]).float()[..., None]
        return (t[prefix + "_hlf"] - hm) / hs, (t[prefix + "_particles"] - pm) / ps * mask, t[prefix + "_count"].long(), t[prefix + "_label"].long()

    train, test = prep("train"), prep("test")
    model, base = Inclusive(s), HLF(s)
    opt = torch.optim.Adam(model.parameters(), lr=s["learning_rate"], eps=1e-7)
    opt_b = torch.optim.Adam(base.parameters(), lr=s["learning_rate"], eps=1e-7)
    loss_fn = nn.CrossEntropyLoss()
    n = train[0].shape[0]
    seen, seconds = 0, 0.0
    for epoch in range(s["epochs"]):
        model.train(); base.train()
        order = torch.randperm(n)
        t0 = time.perf_counter()
        for start in range(0, n, s["batch_size"]):
            idx = order[start:start + s["batch_size"]]
            hlf, parts, count, y = (x[idx] for x in train)
            T = int(count.max().clamp(min=1))
            opt.zero_grad(); loss_fn(model(hlf, parts[:, :T], count), y).backward(); opt.step()
            opt_b.zero_grad(); loss_fn(base(hlf), y).backward(); opt_b.step()
            seen += len(idx)
        seconds += time.perf_counter() - t0
    model.eval(); base.eval()
    with torch.no_grad():
        hlf, parts, count, y = test
        p = torch.softmax(model(hlf, parts, count), 1).numpy()
        pb = torch.softmax(base(hlf), 1).numpy()
    y = y.numpy()
    auc = float(np.mean([roc_auc_score(y == k, p[:, k]) for k in range(3)]))
    auc_b = float(np.mean([roc_auc_score(y == k, pb[:, k]) for k in range(3)]))
    hit, hit_b = p.argmax(1) == y, pb.argmax(1) == y
    only_a, only_b, m = int((hit_b & ~hit).sum()), int((hit & ~hit_b).sum()), len(y)
    d = (only_b - only_a) / m
    se = max(0.0, only_a + only_b - m * d * d) ** 0.5 / m
    print(json.dumps({"events_per_s": seen / seconds, "auc_macro": auc, "hlf_auc_macro": auc_b, "paired_z": d / se if se > 0 else 0.0,
                      "threads": torch.get_num_threads(), "torch": torch.__version__, "blas": kernel_config()}))


if __name__ == "__main__":
    main()
