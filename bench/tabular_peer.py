"""Peer side of `npm run bench:tabular`: scikit-learn and XGBoost on the split sciml used.

Usage: /usr/bin/python3 bench/tabular_peer.py JOB.json
JOB.json: {"csv": path, "target": name, "drop": [names], "train": [row indices], "test": [...],
           "models": [{"name": ..., "peer": ..., "params": {...}}], "repeats": n}
Prints one JSON object per model on stdout: {"name", "rmse", "fit_s", "fit_cpu_s", "predict_s"} or
{"name", "error"}. fit_cpu_s is process CPU time (all threads) during the fit.
Needs only numpy and the peer libraries (Debian: apt-get install python3-sklearn python3-xgboost).
"""
import json
import sys
import time

import numpy as np

from peer_data import load




def make(peer, params):
    if peer == "sklearn_hgb":
        from sklearn.ensemble import HistGradientBoostingRegressor
        return HistGradientBoostingRegressor(**params)
    if peer == "xgboost":
        from xgboost import XGBRegressor
        return XGBRegressor(**params)
    if peer == "sklearn_rf":
        from sklearn.ensemble import RandomForestRegressor
        return RandomForestRegressor(**params)
    if peer == "sklearn_et":
        from sklearn.ensemble import ExtraTreesRegressor
        return ExtraTreesRegressor(**params)
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    if peer == "sklearn_ridge":
        from sklearn.linear_model import Ridge
        return make_pipeline(StandardScaler(), Ridge(**params))
    if peer == "sklearn_knn":
        from sklearn.neighbors import KNeighborsRegressor
        return make_pipeline(StandardScaler(), KNeighborsRegressor(**params))
    if peer == "sklearn_mlp":
        from sklearn.neural_network import MLPRegressor
        params = dict(params)
        params["hidden_layer_sizes"] = tuple(params["hidden_layer_sizes"])
        from sklearn.compose import TransformedTargetRegressor
        # sciml's MLP standardizes the target too.
        return TransformedTargetRegressor(regressor=make_pipeline(StandardScaler(), MLPRegressor(**params)), transformer=StandardScaler())
    raise ValueError("unknown peer " + peer)


def main():
    with open(sys.argv[1]) as f:
        job = json.load(f)
    X, y = load(job)
    train = np.asarray(job["train"], dtype=np.int64)
    test = np.asarray(job["test"], dtype=np.int64)
    Xtr, ytr, Xte, yte = X[train], y[train], X[test], y[test]
    for spec in job["models"]:
        try:
            best = None
            for _ in range(job.get("repeats", 1)):
                model = make(spec["peer"], spec["params"])
                c0 = time.process_time()
                t0 = time.perf_counter()
                model.fit(Xtr, ytr)
                t1 = time.perf_counter()
                c1 = time.process_time()
                pred = model.predict(Xte)
                t2 = time.perf_counter()
                rmse = float(np.sqrt(np.mean((pred - yte) ** 2)))
                run = {"name": spec["name"], "rmse": rmse, "fit_s": t1 - t0, "fit_cpu_s": c1 - c0, "predict_s": t2 - t1}
                if best is None or run["fit_s"] < best["fit_s"]:
                    best = run
            print(json.dumps(best), flush=True)
        except ImportError as err:
            print(json.dumps({"name": spec["name"], "error": "missing %s" % err.name}), flush=True)


if __name__ == "__main__":
    main()
