"""bench:tune's peer: Optuna 3.1 TPE + HyperbandPruner tuning scikit-learn's
HistGradientBoostingRegressor for a wall-clock budget, on the rows bench/tune.ts hands over.

Each trial grows its model with warm_start through the rungs it is given (90, 270, 810 rounds), reports
the validation RMSE at each and is pruned by Hyperband. Every report is kept with its time, so the
driver can draw best-so-far against time. The best reported (params, rounds) is refit on all
training rows and scored on the holdout. Reads the job JSON from argv[1]; prints one JSON line.
"""
import json
import sys
import time

import numpy as np
import optuna
from sklearn.ensemble import HistGradientBoostingRegressor

from peer_data import load


def main():
    job = json.load(open(sys.argv[1]))
    X, y = load({"csv": job["train_csv"], "target": job["target"], "drop": job["drop"]})
    Xh, yh = load({"csv": job["holdout_csv"], "target": job["target"], "drop": job["drop"]})
    val = np.array(job["validation_rows"], dtype=np.int64)
    fit = np.setdiff1d(np.arange(len(y)), val)
    Xf, yf, Xv, yv = X[fit], y[fit], X[val], y[val]
    steps = job["steps"]
    space = job["space"]
    reports = []
    t0 = time.perf_counter()

    def params_of(trial):
        return {
            "learning_rate": trial.suggest_float("learning_rate", *space["learning_rate"], log=True),
            "max_leaf_nodes": trial.suggest_int("max_leaf_nodes", *space["max_leaf_nodes"]),
            "min_samples_leaf": trial.suggest_int("min_samples_leaf", *space["min_samples_leaf"]),
            "l2_regularization": trial.suggest_float("l2_regularization", *space["l2_regularization"], log=True),
            "max_bins": trial.suggest_int("max_bins", *space["max_bins"]),
        }

    def objective(trial):
        p = params_of(trial)
        model = HistGradientBoostingRegressor(**p, max_iter=steps[0], early_stopping=False, warm_start=True, random_state=0)
        rmse = None
        for k, rounds in enumerate(steps):
            model.set_params(max_iter=rounds)
            model.fit(Xf, yf)
            rmse = float(np.sqrt(np.mean((model.predict(Xv) - yv) ** 2)))
            reports.append({"t": time.perf_counter() - t0, "rmse": rmse, "rounds": rounds, "params": p, "trial": trial.number})
            trial.report(rmse, rounds)
            if trial.should_prune():
                raise optuna.TrialPruned()
        return rmse

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        direction="minimize",
        sampler=optuna.samplers.TPESampler(seed=job["seed"]),
        pruner=optuna.pruners.HyperbandPruner(min_resource=steps[0], max_resource=steps[-1], reduction_factor=3),
    )
    study.optimize(objective, timeout=job["budget_s"])
    search_s = time.perf_counter() - t0
    best = min(reports, key=lambda r: r["rmse"])
    model = HistGradientBoostingRegressor(**best["params"], max_iter=best["rounds"], early_stopping=False, random_state=0)
    model.fit(X, y)
    holdout = float(np.sqrt(np.mean((model.predict(Xh) - yh) ** 2)))
    print(json.dumps({
        "trials": len(study.trials),
        "complete": sum(t.state == optuna.trial.TrialState.COMPLETE for t in study.trials),
        "search_s": search_s,
        "best_validation_rmse": best["rmse"],
        "best": best,
        "holdout_rmse": holdout,
        "reports": [{"t": r["t"], "rmse": r["rmse"]} for r in reports],
    }))


if __name__ == "__main__":
    main()
