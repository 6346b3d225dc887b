"""The peer of `bosun bench slices`: the same metrics per slice with pandas `groupby` and scikit-learn, as a notebook
would compute them. Usage: pandas_slices.py FILE.csv. Prints the number of slices (Overall, each value of region and
camera, six quantile bins of hour, and each region x camera pair present)."""
import sys

import numpy as np
import pandas as pd
from sklearn.metrics import (accuracy_score, average_precision_score, f1_score, log_loss, precision_score,
                             recall_score, roc_auc_score)


def metrics(group, threshold=0.5):
    y, p = group["label"].to_numpy(), group["score"].to_numpy()
    predicted = (p >= threshold).astype(int)
    both = len(np.unique(y)) == 2
    return {
        "count": len(y),
        "accuracy": accuracy_score(y, predicted),
        "precision": precision_score(y, predicted, zero_division=np.nan),
        "recall": recall_score(y, predicted, zero_division=np.nan),
        "f1": f1_score(y, predicted, zero_division=np.nan),
        "auc": roc_auc_score(y, p) if both else np.nan,
        "pr_auc": average_precision_score(y, p) if y.sum() > 0 else np.nan,
        "logloss": log_loss(y, np.clip(p, 1e-15, 1 - 1e-15), labels=[0, 1]),
        "mean_label": y.mean(),
        "mean_prediction": p.mean(),
        "calibration": p.mean() / y.mean() if y.mean() > 0 else np.nan,
    }


frame = pd.read_csv(sys.argv[1])
frame["hour_bin"] = pd.qcut(frame["hour"], 6, duplicates="drop")
rows = [metrics(frame)]
for keys in (["region"], ["camera"], ["hour_bin"], ["region", "camera"]):
    for _, group in frame.groupby(keys, observed=True):
        rows.append(metrics(group))
print(len(pd.DataFrame(rows)))
