"""Peer side of `npm run bench:automl-classification`: scikit-learn's StackingClassifier over
HistGradientBoosting, RandomForest(300) and ExtraTrees(300) with a logistic final estimator (cv 5),
on the split the benchmark hands it.

Usage: /usr/bin/python3 bench/automl-classification/peer.py JOB.json
JOB.json: {"csv": path, "target": name, "mode": "split" | "fit", "seed": n, "jobs": n,
           "train": [row indices], "test": [...]}   (train/test only for "fit")
mode "split": prints {"train": [...], "test": [...]}: a stratified 75/25 train_test_split (seed).
mode "fit": prints {"accuracy", "log_loss", "seconds"} (fit and predict time), or {"error"}.
Needs numpy and scikit-learn (Debian: apt-get install python3-sklearn).
"""
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from peer_data import load_labels  # noqa: E402


def main():
    with open(sys.argv[1]) as f:
        job = json.load(f)
    try:
        from sklearn.ensemble import ExtraTreesClassifier, HistGradientBoostingClassifier, RandomForestClassifier, StackingClassifier
        from sklearn.linear_model import LogisticRegression
        from sklearn.metrics import accuracy_score, log_loss
        from sklearn.model_selection import train_test_split
    except ImportError as err:
        print(json.dumps({"error": "missing %s" % err.name}), flush=True)
        return
    X, y = load_labels(job)
    seed = job.get("seed", 42)
    if job["mode"] == "split":
        train, test = train_test_split(np.arange(len(y)), test_size=0.25, stratify=y, random_state=seed)
        print(json.dumps({"train": sorted(int(i) for i in train), "test": sorted(int(i) for i in test)}), flush=True)
        return
    jobs = job.get("jobs", 2)
    train = np.asarray(job["train"], dtype=np.int64)
    test = np.asarray(job["test"], dtype=np.int64)
    t0 = time.perf_counter()
    model = StackingClassifier(
        estimators=[
            ("hgb", HistGradientBoostingClassifier(random_state=seed)),
            ("rf", RandomForestClassifier(n_estimators=300, n_jobs=jobs, random_state=seed)),
            ("et", ExtraTreesClassifier(n_estimators=300, n_jobs=jobs, random_state=seed)),
        ],
        final_estimator=LogisticRegression(max_iter=1000),
        cv=5,
        n_jobs=1,
    )
    model.fit(X[train], y[train])
    proba = model.predict_proba(X[test])
    seconds = time.perf_counter() - t0
    pred = model.classes_[proba.argmax(axis=1)]
    print(json.dumps({"accuracy": float(accuracy_score(y[test], pred)), "log_loss": float(log_loss(y[test], proba, labels=model.classes_)), "seconds": seconds}), flush=True)


if __name__ == "__main__":
    main()
