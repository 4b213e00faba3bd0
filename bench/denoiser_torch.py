"""PyTorch peer for bench/denoiser.ts: trains the same denoising autoencoder (same layers, Adam,
MSE, batch size) on the same traces and prints one JSON line with its training throughput.

Usage: /usr/bin/python3 bench/denoiser_torch.py traces.npz '<architecture json>' BATCH SECONDS THREADS
Needs Debian's python3-torch (apt-get install python3-torch).
"""
import json
import sys
import time

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

from torch_kernels import kernel_config


class Denoiser(nn.Module):
    """Mirror of src/models/denoiser/architecture.ts: Conv1D blocks with 2x pooling, a mirrored
    decoder with nearest-neighbour 2x upsampling (zero-padded where the encoder rounded down)."""

    def __init__(self, arch):
        super().__init__()
        self.arch = arch
        k = arch["kernelSize"]
        filters = arch["filters"]
        per_block = arch["convsPerBlock"]
        act = {"relu": nn.ReLU, "elu": nn.ELU, "tanh": nn.Tanh, "selu": nn.SELU, "softplus": nn.Softplus}[arch["activation"]]
        self.lengths = [arch["length"]]
        for _ in filters:
            self.lengths.append(self.lengths[-1] // 2)
        self.encoder = nn.ModuleList()
        channels = 1
        for f in filters:
            layers = []
            for _ in range(per_block):
                layers += [nn.Conv1d(channels, f, k, padding=k // 2), act()]
                channels = f
            self.encoder.append(nn.Sequential(*layers))
        self.decoder = nn.ModuleList()
        self.upsamplers = nn.ModuleList()
        self.transpose = arch.get("upsampling", "repeat") == "transpose"
        for b in range(len(filters) - 1, -1, -1):
            layers = []
            for _ in range(per_block):
                layers += [nn.Conv1d(channels, filters[b], k, padding=k // 2), act()]
                channels = filters[b]
            self.decoder.append(nn.Sequential(*layers))
            if self.transpose:
                # stride 2, kernel 4, padding 1: exactly twice the length (tfjs: conv2dTranspose 'same')
                self.upsamplers.append(nn.Sequential(nn.ConvTranspose1d(channels, channels, 4, stride=2, padding=1), act()))
        self.output = nn.Conv1d(channels, 1, k, padding=k // 2)
        self.pool = nn.MaxPool1d(2) if arch["pooling"] == "max" else nn.AvgPool1d(2)
        self.sigmoid = arch["outputActivation"] == "sigmoid"
        self.normalize = arch.get("normalize", False)

    def forward(self, x):
        if self.normalize:
            # per-trace standardisation, undone at the output (src/models/denoiser/trace-norm.ts)
            mean = x.mean(dim=2, keepdim=True)
            std = x.var(dim=2, keepdim=True, unbiased=False).sqrt() + 1e-6
            return self.network((x - mean) / std) * std + mean
        return self.network(x)

    def network(self, x):
        for block in self.encoder:
            x = self.pool(block(x))
        depth = len(self.encoder)
        for j, block in enumerate(self.decoder):
            b = depth - 1 - j
            x = block(x)
            x = self.upsamplers[j](x) if self.transpose else x.repeat_interleave(2, dim=2)
            missing = self.lengths[b] - x.shape[2]
            if missing > 0:
                x = F.pad(x, (0, missing))
        y = self.output(x)
        return torch.sigmoid(y) if self.sigmoid else y


def main():
    path, arch_json, batch, seconds, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    arrays = np.load(path)
    noisy = torch.from_numpy(arrays["noisy"].astype(np.float32)).unsqueeze(1)
    signal = torch.from_numpy(arrays["signal"].astype(np.float32)).unsqueeze(1)
    model = Denoiser(json.loads(arch_json))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    n = noisy.shape[0]

    def step(i):
        idx = torch.arange(i * batch, (i + 1) * batch) % n
        optimizer.zero_grad()
        loss = F.mse_loss(model(noisy[idx]), signal[idx])
        loss.backward()
        optimizer.step()
        return loss.item()

    for i in range(5):
        step(i)
    steps = 0
    start = time.perf_counter()
    while True:
        step(steps + 5)
        steps += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds and steps >= 3:
            break
    params = sum(p.numel() for p in model.parameters())
    print(json.dumps({"traces_per_s": steps * batch / elapsed, "steps": steps, "seconds": elapsed, "threads": threads, "parameters": params, "torch": torch.__version__, "kernels": kernel_config()}))


if __name__ == "__main__":
    main()
