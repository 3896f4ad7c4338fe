"""Key drivers: Johnson's relative weights against a published example and
two independent computations, and a planted company where latency alone
moves NPS."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from datetime import date

import numpy as np
import pytest

from cxhub.insights import drivers
from cxhub.kpis.period import Filters, Period

from fixtures import build_latency_company

# mtcars (R's datasets): mpg, cyl, disp, hp, gear for its 32 cars.
MTCARS = np.array([
    (21.0, 6, 160.0, 110, 4), (21.0, 6, 160.0, 110, 4), (22.8, 4, 108.0, 93, 4), (21.4, 6, 258.0, 110, 3),
    (18.7, 8, 360.0, 175, 3), (18.1, 6, 225.0, 105, 3), (14.3, 8, 360.0, 245, 3), (24.4, 4, 146.7, 62, 4),
    (22.8, 4, 140.8, 95, 4), (19.2, 6, 167.6, 123, 4), (17.8, 6, 167.6, 123, 4), (16.4, 8, 275.8, 180, 3),
    (17.3, 8, 275.8, 180, 3), (15.2, 8, 275.8, 180, 3), (10.4, 8, 472.0, 205, 3), (10.4, 8, 460.0, 215, 3),
    (14.7, 8, 440.0, 230, 3), (32.4, 4, 78.7, 66, 4), (30.4, 4, 75.7, 52, 4), (33.9, 4, 71.1, 65, 4),
    (21.5, 4, 120.1, 97, 3), (15.5, 8, 318.0, 150, 3), (15.2, 8, 304.0, 150, 3), (13.3, 8, 350.0, 245, 3),
    (19.2, 8, 400.0, 175, 3), (27.3, 4, 79.0, 66, 4), (26.0, 4, 120.3, 91, 5), (30.4, 4, 95.1, 113, 5),
    (15.8, 8, 351.0, 264, 5), (19.7, 6, 145.0, 175, 5), (15.0, 8, 301.0, 335, 5), (21.4, 4, 121.0, 109, 4),
])


def corr_outcome_last(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.corrcoef(np.column_stack([x, y]), rowvar=False)


def test_the_published_mtcars_example():
    # The rwa R package's README: mpg on cyl, disp, hp, gear gives R² 0.7791896 and
    # raw relative weights 0.2284797, 0.2221469, 0.2321744, 0.0963886.
    weights, r2 = drivers.relative_weights(corr_outcome_last(MTCARS[:, 1:], MTCARS[:, 0]))
    assert r2 == pytest.approx(0.7791896, abs=1e-7)
    assert weights == pytest.approx([0.2284797, 0.2221469, 0.2321744, 0.0963886], abs=1e-7)


def r_squared(x: np.ndarray, y: np.ndarray) -> float:
    """R² of the least-squares fit with an intercept."""
    design = np.column_stack([np.ones(len(y)), x])
    fitted = design @ np.linalg.lstsq(design, y, rcond=None)[0]
    return 1 - ((y - fitted) ** 2).sum() / ((y - y.mean()) ** 2).sum()


def general_dominance(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Budescu's general dominance weights: each predictor's R² gain averaged
    over every subset size (an independent way to share R²)."""
    p = x.shape[1]
    gains = np.zeros(p)
    for j in range(p):
        others = [k for k in range(p) if k != j]
        per_size = []
        for size in range(p):
            subsets = list(itertools.combinations(others, size))
            base = lambda s: r_squared(x[:, list(s)], y) if s else 0.0
            per_size.append(np.mean([r_squared(x[:, [*s, j]], y) - base(s) for s in subsets]))
        gains[j] = np.mean(per_size)
    return gains


def test_weights_sum_to_r2_and_rank_as_dominance_analysis_does():
    rng = np.random.default_rng(11)
    a = rng.normal(size=400)
    x = np.column_stack([a, 0.6 * a + rng.normal(size=400), rng.normal(size=400), rng.normal(size=400)])
    y = 1.0 * x[:, 0] + 0.5 * x[:, 1] + 0.25 * x[:, 2] + rng.normal(size=400)
    weights, r2 = drivers.relative_weights(corr_outcome_last(x, y))
    assert r2 == pytest.approx(r_squared(x, y), rel=1e-9) and weights.sum() == pytest.approx(r2, rel=1e-9)
    dominance = general_dominance(x, y)
    assert list(np.argsort(-weights)) == list(np.argsort(-dominance))
    assert weights == pytest.approx(dominance, abs=0.01)  # close, not equal: two ways to share


def test_uncorrelated_drivers_get_their_squared_correlation():
    rng = np.random.default_rng(5)
    x = np.linalg.qr(rng.normal(size=(300, 3)) - 0)[0]  # orthogonal columns...
    x = x - x.mean(axis=0)  # ...centred: uncorrelated
    y = x @ np.array([3.0, 1.0, 0.0]) + 0.05 * rng.normal(size=300)
    weights, _ = drivers.relative_weights(corr_outcome_last(x, y))
    r = corr_outcome_last(x, y)[:-1, -1]
    assert weights == pytest.approx(r ** 2, abs=1e-3)


def svd_relative_weights(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Johnson's weights the way his paper computes them: the SVD of the
    standardised drivers gives their orthogonal counterparts Z = PQᵀ."""
    n = len(y)  # scaled so that zxᵀzx is the correlation matrix
    zx = (x - x.mean(axis=0)) / x.std(axis=0) / np.sqrt(n)
    zy = (y - y.mean()) / y.std() / np.sqrt(n)
    p, _, qt = np.linalg.svd(zx, full_matrices=False)
    z = p @ qt
    lam = np.linalg.lstsq(z, zx, rcond=None)[0]  # drivers on Z
    beta = np.linalg.lstsq(z, zy, rcond=None)[0]  # outcome on Z
    return (lam ** 2).T @ (beta ** 2)


def test_latency_alone_moves_nps(tmp_path):
    con, answers = build_latency_company(tmp_path / "latency.duckdb")
    doc = drivers.drivers(con, "nps", Period(date(2025, 1, 1), date(2025, 7, 19)))
    shares = {d["id"]: d["share"] for d in doc["drivers"]}
    assert shares["latency"] > 95 and shares["effort"] < 2 and shares["tenure_days"] < 2
    assert doc["drivers"][0]["id"] == "latency" and doc["drivers"][0]["owner"] == "CIO"
    assert drivers.by_owner(doc)["CIO"] == pytest.approx(shares["latency"])
    # Every field against a second computation from the rows the company was built from.
    rows = np.array(answers, dtype=float)
    x, y = rows[:, :3], rows[:, 3]
    assert doc["n"] == len(rows) == 600
    assert doc["r2"] == pytest.approx(r_squared(x, y), rel=1e-9)
    expected = dict(zip(["latency", "effort", "tenure_days"], svd_relative_weights(x, y)))
    for d in doc["drivers"]:
        assert d["weight"] == pytest.approx(expected[d["id"]], rel=1e-6, abs=1e-12)
        assert d["share"] == pytest.approx(100 * expected[d["id"]] / doc["r2"], rel=1e-6, abs=1e-9)
        sign = np.sign(np.corrcoef(x[:, ["latency", "effort", "tenure_days"].index(d["id"])], y)[0, 1])
        assert d["direction"] == ("+" if sign >= 0 else "−")
    assert [d["weight"] for d in doc["drivers"]] == sorted((d["weight"] for d in doc["drivers"]), reverse=True)
    # What could not count is named, with why.
    left = {x["id"]: x["why"] for x in doc["left_out"]}
    assert "missing for 100%" in left["error_rate"]
    for flat in ("availability", "incident_day", "recent_contacts", "unresolved_contact", "recent_orders"):
        assert "same value for every response" in left[flat], flat
    assert set(left) | set(shares) == {d.id for d in drivers.DRIVERS}


def test_fewer_than_100_answers_give_no_result(tmp_path):
    con, _ = build_latency_company(tmp_path / "small.duckdb", days=33)  # 99 answers
    doc = drivers.drivers(con, "nps", Period(date(2025, 1, 1), date(2025, 2, 2)))
    assert doc["n"] == 99 and doc["drivers"] == [] and doc["r2"] is None and "fewer than 100" in doc["reason"]


def test_cli_json_is_the_document(tmp_path):
    con, answers = build_latency_company(tmp_path / "cli.duckdb")
    con.close()
    out = subprocess.run([sys.executable, "-m", "cxhub.cli", "drivers", "--db", str(tmp_path / "cli.duckdb"),
                          "--kpi", "nps", "--start", "2025-01-01", "--end", "2025-07-19", "--format", "json"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert set(doc) == {"kpi", "period", "filters", "n", "r2", "drivers", "left_out"}
    assert doc["kpi"] == "nps" and doc["period"] == {"start": "2025-01-01", "end": "2025-07-19"}
    assert doc["n"] == len(answers) and doc["drivers"][0]["id"] == "latency"
    assert set(doc["drivers"][0]) == {"id", "label", "owner", "weight", "share", "direction"}
    table = subprocess.run([sys.executable, "-m", "cxhub.cli", "drivers", "--db", str(tmp_path / "cli.duckdb"),
                            "--start", "2025-01-01", "--end", "2025-07-19"], capture_output=True, text=True)
    assert "By owner: CMO" in table.stdout and "p95 latency" in table.stdout


def test_filters_choose_the_answers(tmp_path):
    con, _ = build_latency_company(tmp_path / "f.duckdb")
    assert drivers.drivers(con, "nps", Period(date(2025, 1, 1), date(2025, 7, 19)),
                           Filters(segments=("smb",)))["n"] == 0  # every customer is a consumer
    with pytest.raises(ValueError, match="unknown outcome"):
        drivers.drivers(con, "ces", Period(date(2025, 1, 1), date(2025, 1, 31)))
