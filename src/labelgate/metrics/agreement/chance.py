"""The chance-corrected family on label counts, with agreement weights (Gwet 2014, ch. 2-4).

All share Gwet's weighted percent agreement over items with 2+ ratings,
  pa = mean_i sum_k r_ik (r*_ik - 1) / (r_i (r_i - 1)),  r*_ik = sum_l w_kl r_il,
and differ in chance agreement pe, from the mean per-item label shares pi_k over items with
1+ rating (q = number of categories):
  Fleiss (generalised):  pe = sum_kl w_kl pi_k pi_l
  Gwet AC1 / AC2:        pe = sum(w) / (q (q - 1)) * sum_k pi_k (1 - pi_k)
  Brennan-Prediger:      pe = sum(w) / q^2
These reproduce irrCAC's fleiss.kappa.raw, gwet.ac1.raw and bp.coeff.raw.
"""

from __future__ import annotations

import numpy as np

from labelgate.metrics.counts import FloatArray, IntArray

COEFFICIENTS = ("percent_agreement", "fleiss_kappa", "gwet_ac1", "brennan_prediger")


def pa_and_shares(
    rows: FloatArray, freq: FloatArray, weights: FloatArray
) -> tuple[float, FloatArray]:
    """(weighted percent agreement, mean label shares pi) of count patterns with frequencies."""
    r = rows.sum(axis=1)
    multi = r >= 2
    n_multi = float(freq[multi].sum())
    weighted = rows @ weights.T  # r*_ik
    per_item = np.zeros(len(rows))
    rm = r[multi]
    per_item[multi] = (rows[multi] * (weighted[multi] - 1.0)).sum(axis=1) / (rm * (rm - 1.0))
    pa = float((per_item * freq).sum() / n_multi) if n_multi > 0 else float("nan")
    rated = r >= 1
    n_rated = float(freq[rated].sum())
    shares = rows[rated] / r[rated, None]
    pi = (
        (shares * freq[rated, None]).sum(axis=0) / n_rated
        if n_rated > 0
        else np.full(rows.shape[1], np.nan)
    )
    return pa, pi


def _kappa(pa: float, pe: float) -> float:
    if not np.isfinite(pa) or pe >= 1.0:
        return float("nan")
    return (pa - pe) / (1.0 - pe)


def chance_corrected(rows: FloatArray, freq: FloatArray, weights: FloatArray) -> dict[str, float]:
    """percent_agreement, fleiss_kappa, gwet_ac1 (AC2 when weighted), brennan_prediger."""
    q = rows.shape[1]
    pa, pi = pa_and_shares(rows, freq, weights)
    total = float(weights.sum())
    pe_fleiss = float(pi @ weights @ pi)
    pe_gwet = total / (q * (q - 1.0)) * float((pi * (1.0 - pi)).sum()) if q > 1 else 1.0
    pe_bp = total / q**2
    return {
        "percent_agreement": pa,
        "fleiss_kappa": _kappa(pa, pe_fleiss),
        "gwet_ac1": _kappa(pa, pe_gwet),
        "brennan_prediger": _kappa(pa, pe_bp),
    }


def _unweighted(counts: IntArray) -> dict[str, float]:
    rows = np.asarray(counts, dtype=np.float64)
    return chance_corrected(rows, np.ones(len(rows)), np.eye(rows.shape[1]))


def percent_agreement(counts: IntArray) -> float:
    """Unweighted percent agreement of a count matrix (N, K); NaN without an item rated twice."""
    return _unweighted(counts)["percent_agreement"]


def fleiss_kappa(counts: IntArray) -> float:
    """Unweighted Fleiss' kappa of a count matrix (N, K); equals Fleiss (1971) on complete data."""
    return _unweighted(counts)["fleiss_kappa"]
