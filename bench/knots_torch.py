"""PyTorch peer for bench/knots.ts: trains the same MLP (hidden layers, activation, Adam, batch,
L2 on the weight matrices, early stopping on the validation loss with the best weights kept) on the
same standardized split and prints one JSON line: training time, epochs and test MSE.

Usage: /usr/bin/python3 bench/knots_torch.py split.npz '<settings json>' THREADS
Needs Debian's python3-torch (apt-get install python3-torch).
"""
import json
import sys
import time

import numpy as np
import torch
from torch import nn


def main():
    path, settings, threads = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3])
    torch.set_num_threads(threads)
    torch.manual_seed(settings["seed"])
    data = np.load(path)
    x_train, y_train = torch.from_numpy(data["x_train"]), torch.from_numpy(data["y_train"])
    x_val, y_val = torch.from_numpy(data["x_validation"]), torch.from_numpy(data["y_validation"])
    x_test, y_test = torch.from_numpy(data["x_test"]), torch.from_numpy(data["y_test"])
    mean, std = float(y_train.mean()), float(y_train.std(unbiased=False))
    act = {"relu": nn.ReLU, "tanh": nn.Tanh, "elu": nn.ELU, "sigmoid": nn.Sigmoid, "softplus": nn.Softplus}[settings["activation"]]
    layers, width = [], x_train.shape[1]
    for _ in range(settings["depth"]):
        layers += [nn.Linear(width, settings["width"]), act()]
        width = settings["width"]
    layers.append(nn.Linear(width, 1))
    model = nn.Sequential(*layers)
    kernels = [m.weight for m in model if isinstance(m, nn.Linear)]
    optimizer = torch.optim.Adam(model.parameters(), lr=settings["learning_rate"], eps=1e-7)
    scale = lambda y: (y - mean) / std

    def loss_of(x, y):
        return ((model(x).squeeze(1) - scale(y)) ** 2).mean()

    best, best_epoch, best_state, epochs = float("inf"), 0, None, 0
    n, batch = x_train.shape[0], settings["batch_size"]
    generator = torch.Generator().manual_seed(settings["seed"])
    t0 = time.perf_counter()
    for epoch in range(1, settings["max_epochs"] + 1):
        epochs = epoch
        order = torch.randperm(n, generator=generator)
        model.train()
        for start in range(0, n, batch):
            idx = order[start:start + batch]
            optimizer.zero_grad()
            loss = loss_of(x_train[idx], y_train[idx]) + settings["weight_decay"] * sum((k ** 2).sum() for k in kernels)
            loss.backward()
            optimizer.step()
        with torch.no_grad():
            validation = float(loss_of(x_val, y_val))
        if validation < best:
            best, best_epoch = validation, epoch
            best_state = {k: v.clone() for k, v in model.state_dict().items()}
        elif epoch - best_epoch >= settings["patience"]:
            break
    seconds = time.perf_counter() - t0
    model.load_state_dict(best_state)
    with torch.no_grad():
        predicted = model(x_test).squeeze(1) * std + mean
        mse = float(((predicted - y_test) ** 2).mean())
    print(json.dumps({"train_s": seconds, "epochs": epochs, "best_epoch": best_epoch, "test_mse": mse, "rows_per_s": epochs * n / seconds, "torch": torch.__version__, "threads": threads}))


if __name__ == "__main__":
    main()
