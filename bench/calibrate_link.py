"""Fit the weights of the linker's score (geo.linking.pairs.WEIGHTS) on labelled sets.

The labelled sets are the shared UCDP GED excerpt re-reported as a second
source (geo.linking.labelled) with seeds 1, 2 and 3; the evaluation set of the
README and of tests/test_linking.py uses seed 13, which is not fitted on. The
fit is a logistic regression of "same event" on the seven similarities of the
candidate pairs across sources, with every weight bounded below (by 0, and by
1 for date, type, actor and target (the weights of "killed unknown" and
"place unknown" are free), so that a disagreement there always counts against
a link even though the labelled sets cannot show it: their candidates already
agree on those). Prints the weights to paste into WEIGHTS.

    .venv/bin/python bench/calibrate_link.py [/path/to/ucdp_ged_pakistan_1989-2006.csv]
"""

from __future__ import annotations

import dataclasses
import os
import sys
import tempfile
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

from geo.config import default_settings
from geo.pipeline import ingest
from geo.linking import REPORT_FRONT, link_reports
from geo.linking.labelled import write_labelled
from geo.linking.pairs import FEATURES

FLOORS = {"date_sim": 1.0, "type_sim": 1.0, "actor_sim": 1.0, "target_sim": 1.0}


def main() -> None:
    shared = Path(os.environ.get("GEO_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else shared / "ucdp_ged_pakistan_1989-2006.csv"
    settings = dataclasses.replace(default_settings(), link=False)
    features, labels = [], []
    with tempfile.TemporaryDirectory() as folder:
        for seed in (1, 2, 3):
            path, truth = write_labelled(source, Path(folder), seed=seed)
            reports = ingest([source, path], settings=settings).reports
            pairs = link_reports(reports.drop(columns=list(REPORT_FRONT[4:]) + ["event_id"])).pairs
            truth_sorted = {tuple(sorted(pair)) for pair in truth}
            cross = pairs["source_i"] != pairs["source_j"]
            pairs = pairs[cross]
            features.append(pairs[list(FEATURES)].to_numpy())
            labels.append(
                np.array(
                    [
                        tuple(sorted(p)) in truth_sorted
                        for p in zip(pairs["report_i"], pairs["report_j"], strict=True)
                    ]
                )
            )
    x, y = np.vstack(features), np.concatenate(labels).astype(float)
    design = np.hstack([np.ones((len(x), 1)), x])

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        z = design @ w
        p = 1 / (1 + np.exp(-z))
        eps = 1e-12
        value = -np.mean(y * np.log(p + eps) + (1 - y) * np.log(1 - p + eps)) + 1e-4 * np.sum(w[1:] ** 2)
        grad = design.T @ (p - y) / len(y) + 2e-4 * np.r_[0, w[1:]]
        return value, grad

    bounds = [(None, None)] + [(FLOORS.get(name, 0.0), None) for name in FEATURES]
    start = np.r_[-5.0, [max(1.0, FLOORS.get(n, 0.0)) for n in FEATURES]]
    bounds = [(None, None)] + [
        (None, None) if name.endswith("_unknown") else (FLOORS.get(name, 0.0), None) for name in FEATURES
    ]
    fit = minimize(loss, start, jac=True, method="L-BFGS-B", bounds=bounds)
    print(f"{len(y)} candidate pairs, {int(y.sum())} true; log-loss {fit.fun:.4f}")
    weights = {
        "intercept": round(float(fit.x[0]), 2),
        **{n: round(float(v), 2) for n, v in zip(FEATURES, fit.x[1:])},
    }
    print("WEIGHTS =", weights)


if __name__ == "__main__":
    main()
