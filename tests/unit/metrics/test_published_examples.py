"""Our coefficients reproduce published worked examples to the printed precision."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from labelgate.metrics.agreement.chance import chance_corrected
from labelgate.metrics.agreement.krippendorff import krippendorff_alpha
from labelgate.metrics.agreement.patterns import compress
from labelgate.metrics.agreement.weights import weight_matrix
from labelgate.metrics.counts import item_value_counts
from tests.conftest import SHARED
from tests.unit.metrics.test_agreement_coefficients import KRIPPENDORFF_2011, counts_from_matrix

# Fleiss (1971), "Measuring nominal scale agreement among many raters", Psychological
# Bulletin 76(5): 30 patients x 6 psychiatrists, 5 diagnoses; kappa = 0.430 (0.4302).
# As typed in R irr::diagnoses and statsmodels' test_inter_rater.py.
FLEISS_1971 = np.array(
    [
        [4, 4, 4, 4, 4, 4],
        [2, 2, 2, 5, 5, 5],
        [2, 3, 3, 3, 3, 5],
        [5, 5, 5, 5, 5, 5],
        [2, 2, 2, 4, 4, 4],
        [1, 1, 3, 3, 3, 3],
        [3, 3, 3, 3, 5, 5],
        [1, 1, 3, 3, 3, 4],
        [1, 1, 4, 4, 4, 4],
        [5, 5, 5, 5, 5, 5],
        [1, 4, 4, 4, 4, 4],
        [1, 2, 4, 4, 4, 4],
        [2, 2, 2, 3, 3, 3],
        [1, 4, 4, 4, 4, 4],
        [2, 2, 4, 4, 4, 5],
        [3, 3, 3, 3, 3, 5],
        [1, 1, 1, 4, 5, 5],
        [1, 1, 1, 1, 1, 2],
        [2, 2, 4, 4, 4, 4],
        [1, 3, 3, 5, 5, 5],
        [5, 5, 5, 5, 5, 5],
        [2, 4, 4, 4, 4, 4],
        [2, 2, 4, 5, 5, 5],
        [1, 1, 4, 4, 4, 4],
        [1, 4, 4, 4, 4, 5],
        [2, 2, 2, 2, 2, 4],
        [1, 1, 1, 1, 5, 5],
        [2, 2, 4, 4, 4, 4],
        [1, 3, 3, 3, 3, 3],
        [5, 5, 5, 5, 5, 5],
    ]
)


def family(matrix: np.ndarray, weights: str) -> dict[str, float]:
    counts, values = counts_from_matrix(matrix)
    patterns = compress(counts)
    return chance_corrected(
        patterns.rows.astype(float), patterns.freq.astype(float), weight_matrix(weights, values)
    )


def test_fleiss_1971() -> None:
    assert round(family(FLEISS_1971.T.astype(float), "identity")["fleiss_kappa"], 4) == 0.4302


# Gwet, irrCAC (R package) examples on cac.raw4raters (= Krippendorff 2011's 4 x 12 data), as
# expected in the Python port's tests (afergadis/irrCAC test/unit/irrCAC/raw/*):
# (weights, percent agreement, Fleiss' kappa, Gwet's AC1/AC2, Brennan-Prediger).
IRRCAC_RAW4RATERS = [
    ("identity", 0.818, 0.761, 0.775, 0.773),
    ("linear", 0.939, 0.818, 0.859, 0.848),
    ("quadratic", 0.975, 0.865, 0.914, 0.902),
    ("ordinal", 0.968, 0.850, 0.899, 0.886),
]


@pytest.mark.parametrize(("weights", "pa", "fleiss", "ac", "bp"), IRRCAC_RAW4RATERS)
def test_gwet_irrcac_raw4raters(
    weights: str, pa: float, fleiss: float, ac: float, bp: float
) -> None:
    got = family(KRIPPENDORFF_2011, weights)
    assert round(got["percent_agreement"], 3) == pa
    assert round(got["fleiss_kappa"], 3) == fleiss
    assert round(got["gwet_ac1"], 3) == ac
    assert round(got["brennan_prediger"], 3) == bp


def test_ordinal_weights_match_irrcac_definition() -> None:
    w = weight_matrix("ordinal", np.arange(1.0, 6.0))
    # irrCAC ordinal.weights for 5 categories: 1 - C(|k-l|+1, 2) / C(5, 2).
    assert w[0].tolist() == pytest.approx([1.0, 0.9, 0.7, 0.4, 0.0])


shared = pytest.mark.skipif(
    not (SHARED / "data/real/agreement_examples").is_dir(), reason="../shared is absent"
)


@pytest.mark.shared
@shared
def test_every_irrcac_raw4raters_expectation_from_shared() -> None:
    """Every unweighted/linear/quadratic/ordinal value of the irrCAC test table for raw_4raters."""
    base = SHARED / "data/real"
    with (base / "gwet_irrCAC_extdata/cac.raw4raters.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    matrix = np.array(
        [[float(r[f"Rater{j}"]) if r[f"Rater{j}"] else np.nan for r in rows] for j in range(1, 5)]
    )
    expected = list(
        csv.DictReader(
            (base / "agreement_examples/expected_irrCAC_python_tests.tsv").open(), delimiter="\t"
        )
    )
    names = {"fleiss": "fleiss_kappa", "gwet": "gwet_ac1", "bp": "brennan_prediger"}
    checked = 0
    for row in expected:
        weights = {"unweighted": "identity"}.get(row["weights"], row["weights"])
        if (
            row["dataset"] != "raw_4raters"
            or row["method"] not in names
            or weights not in ("identity", "linear", "quadratic", "ordinal")
        ):
            continue
        got = family(matrix, weights)
        assert round(got[names[row["method"]]], 3) == pytest.approx(
            float(row["coefficient"]), abs=1e-9
        ), row
        assert round(got["percent_agreement"], 3) == pytest.approx(float(row["pa"]), abs=1e-9), row
        checked += 1
    assert checked == 12


@pytest.mark.shared
@shared
def test_fleiss_1971_from_shared() -> None:
    path = SHARED / "data/real/agreement_examples/fleiss1971_diagnoses_30x6_raw.csv"
    with Path(path).open() as handle:
        rows = list(csv.DictReader(handle))
    matrix = np.array([[float(r[f"rater{j}"]) for r in rows] for j in range(1, 7)])
    assert round(family(matrix, "identity")["fleiss_kappa"], 4) == 0.4302
    assert np.array_equal(matrix.T, FLEISS_1971)


def test_alpha_of_fleiss_data_is_close_to_kappa() -> None:
    counts, values = counts_from_matrix(FLEISS_1971.T.astype(float))
    # With complete data and many units, alpha and Fleiss' kappa differ by O(1/n).
    assert krippendorff_alpha(counts, "nominal", values) == pytest.approx(0.4302, abs=0.01)
    assert item_value_counts(np.array([0, 0]), np.array([1, 1]), 1, 2).tolist() == [[0, 2]]
