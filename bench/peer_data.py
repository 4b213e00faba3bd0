"""Shared by the Python benchmark peers: loads the CSV job (numeric columns only) the same way for each."""
import numpy as np


def load(job):
    with open(job["csv"]) as f:
        header = f.readline().strip().split(",")
    keep = [c for c in header if c != job["target"] and c not in job["drop"]]
    cols = [header.index(c) for c in keep]
    X = np.loadtxt(job["csv"], delimiter=",", skiprows=1, usecols=cols, dtype=np.float64)
    y = np.loadtxt(job["csv"], delimiter=",", skiprows=1, usecols=[header.index(job["target"])], dtype=np.float64)
    return X, y


def load_labels(job):
    """Numeric feature columns and the target as text labels (for the classification peers)."""
    with open(job["csv"]) as f:
        header = f.readline().strip().split(",")
    keep = [c for c in header if c != job["target"] and c not in job.get("drop", [])]
    cols = [header.index(c) for c in keep]
    X = np.loadtxt(job["csv"], delimiter=",", skiprows=1, usecols=cols, dtype=np.float64)
    y = np.loadtxt(job["csv"], delimiter=",", skiprows=1, usecols=[header.index(job["target"])], dtype=str)
    return X, y
