"""Peer of `npm run bench:serve`: scikit-learn's HistGradientBoostingRegressor behind Flask, the
usual hand-made model service, run by gunicorn (2 sync workers; each trains the same seeded model at start: forking after
scikit-learn has started its OpenMP threads, as --preload would, hangs the workers).

    SCIML_SERVE_JOB=job.json OMP_NUM_THREADS=1 gunicorn -w 2 -b 127.0.0.1:PORT --chdir bench/serve 'peer_app:create_app()'

job.json: {"csv", "target", "drop", "train": [row indices], "features": [names in request order]}.
POST /predict takes {"rows": [{feature: value, ...}]} (the body sciml serve takes) and answers
{"rows": [{"prediction": value}]}; bad input gets 400. Debian: python3-flask, python3-sklearn, gunicorn.
"""
import json
import os
import sys

import numpy as np
from flask import Flask, jsonify, request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from peer_data import load  # noqa: E402


def create_app():
    with open(os.environ["SCIML_SERVE_JOB"]) as f:
        job = json.load(f)
    X, y = load(job)
    train = np.asarray(job["train"], dtype=np.int64)
    from sklearn.ensemble import HistGradientBoostingRegressor

    model = HistGradientBoostingRegressor(random_state=0).fit(X[train], y[train])
    features = job["features"]
    app = Flask(__name__)

    @app.get("/healthz")
    def healthz():
        return jsonify(status="ok")

    @app.post("/predict")
    def predict():
        body = request.get_json(silent=True)
        rows = body.get("rows") if isinstance(body, dict) else None
        if not isinstance(rows, list) or not rows:
            return jsonify(error='expected {"rows": [...]}'), 400
        try:
            X_new = np.array([[float(r[f]) for f in features] for r in rows], dtype=np.float64)
        except (KeyError, TypeError, ValueError) as e:
            return jsonify(error=str(e)), 400
        return jsonify(rows=[{"prediction": float(p)} for p in model.predict(X_new)])

    return app
