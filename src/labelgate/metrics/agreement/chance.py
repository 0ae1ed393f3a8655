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


def chance_corrected_batch(
    rows: FloatArray, freqs: FloatArray, weights: FloatArray
) -> dict[str, FloatArray]:
    """The family for many frequency vectors at once: freqs (B, U) -> name -> (B,).

    Every sum over items is linear in the frequencies, so B bootstrap or jackknife
    replicates cost two matrix products instead of B Python calls.
    """
    q = rows.shape[1]
    r = rows.sum(axis=1)
    multi = r >= 2
    n_multi = freqs[:, multi].sum(axis=1)
    weighted = rows @ weights.T  # r*_ik
    per_item = np.zeros(len(rows))
    rm = r[multi]
    per_item[multi] = (rows[multi] * (weighted[multi] - 1.0)).sum(axis=1) / (rm * (rm - 1.0))
    rated = r >= 1
    n_rated = freqs[:, rated].sum(axis=1)
    shares = rows[rated] / r[rated, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        pa = np.where(n_multi > 0, (freqs @ per_item) / n_multi, np.nan)
        pi = np.where(n_rated[:, None] > 0, freqs[:, rated] @ shares / n_rated[:, None], np.nan)
        total = float(weights.sum())
        pe_fleiss = np.einsum("bk,kl,bl->b", pi, weights, pi)
        pe_gwet = (
            total / (q * (q - 1.0)) * (pi * (1.0 - pi)).sum(axis=1)
            if q > 1
            else np.ones(len(freqs))
        )
        pe_bp = np.full(len(freqs), total / q**2)

        def kappa(pe: FloatArray) -> FloatArray:
            out: FloatArray = np.where(np.isfinite(pa) & (pe < 1.0), (pa - pe) / (1.0 - pe), np.nan)
            return out

        return {
            "percent_agreement": pa,
            "fleiss_kappa": kappa(pe_fleiss),
            "gwet_ac1": kappa(pe_gwet),
            "brennan_prediger": kappa(pe_bp),
        }


def chance_corrected(rows: FloatArray, freq: FloatArray, weights: FloatArray) -> dict[str, float]:
    """percent_agreement, fleiss_kappa, gwet_ac1 (AC2 when weighted), brennan_prediger."""
    batch = chance_corrected_batch(rows, freq[None, :], weights)
    return {name: float(v[0]) for name, v in batch.items()}


def _unweighted(counts: IntArray) -> dict[str, float]:
    rows = np.asarray(counts, dtype=np.float64)
    return chance_corrected(rows, np.ones(len(rows)), np.eye(rows.shape[1]))


def percent_agreement(counts: IntArray) -> float:
    """Unweighted percent agreement of a count matrix (N, K); NaN without an item rated twice."""
    return _unweighted(counts)["percent_agreement"]


def fleiss_kappa(counts: IntArray) -> float:
    """Unweighted Fleiss' kappa of a count matrix (N, K); equals Fleiss (1971) on complete data."""
    return _unweighted(counts)["fleiss_kappa"]


def gwet_standard_errors(
    rows: FloatArray, freq: FloatArray, weights: FloatArray
) -> dict[str, float]:
    """Gwet's (2014) linearised standard errors of the family, no finite-population correction.

    The item-level terms of irrCAC's pa.coeff.raw, bp.coeff.raw, fleiss.kappa.raw and
    gwet.ac1.raw, on count patterns with frequencies: var = sum_i (x_i - coef)^2 / (n (n-1))
    over the n items with 1+ rating, where x_i is item i's linearised contribution; the
    kappa-type x_i carry the correction -2 (1 - coef) (pe_i - pe) / (1 - pe) for the
    estimated chance agreement.
    """
    q = rows.shape[1]
    r = rows.sum(axis=1)
    keep = (r >= 1) & (freq > 0)
    rows, freq, r = rows[keep], freq[keep], r[keep]
    n = float(freq.sum())
    multi = r >= 2
    n_multi = float(freq[multi].sum())
    nan = float("nan")
    if n < 2 or n_multi == 0:
        return dict.fromkeys(COEFFICIENTS, nan)
    weighted = rows @ weights.T
    # Items with one rating agree on nothing: their pa_i is 0, not 0/0.
    pairs = np.where(multi, r * (r - 1.0), 1.0)
    pa_i = np.where(multi, (rows * (weighted - 1.0)).sum(axis=1) / pairs, 0.0)
    pa = float((freq * pa_i).sum()) / n_multi
    pi = (freq[:, None] * rows / r[:, None]).sum(axis=0) / n

    def se(x: FloatArray, coef: float) -> float:
        return float(np.sqrt((freq * (x - coef) ** 2).sum() / (n * (n - 1.0))))

    def kappa_terms(pe: float) -> tuple[float, FloatArray]:
        coef = (pa - pe) / (1.0 - pe)
        return coef, (n / n_multi) * (pa_i - pe * multi) / (1.0 - pe)

    total = float(weights.sum())
    out = {"percent_agreement": se((n / n_multi) * pa_i, pa)}
    pe_bp = total / q**2
    if pe_bp < 1.0:
        bp, x_bp = kappa_terms(pe_bp)
        out["brennan_prediger"] = se(x_bp, bp)
    else:
        out["brennan_prediger"] = nan
    pe_fleiss = float(pi @ weights @ pi)
    if pe_fleiss < 1.0:
        kappa, x_kappa = kappa_terms(pe_fleiss)
        pi_w = (weights @ pi + weights.T @ pi) / 2.0
        pe_i = rows @ pi_w / r
        out["fleiss_kappa"] = se(
            x_kappa - 2.0 * (1.0 - kappa) * (pe_i - pe_fleiss) / (1.0 - pe_fleiss), kappa
        )
    else:
        out["fleiss_kappa"] = nan
    scale = total / (q * (q - 1.0)) if q > 1 else 0.0
    pe_gwet = scale * float((pi * (1.0 - pi)).sum()) if q > 1 else 1.0
    if pe_gwet < 1.0:
        ac1, x_ac1 = kappa_terms(pe_gwet)
        pe_i = scale * (rows @ (1.0 - pi)) / r
        out["gwet_ac1"] = se(x_ac1 - 2.0 * (1.0 - ac1) * (pe_i - pe_gwet) / (1.0 - pe_gwet), ac1)
    else:
        out["gwet_ac1"] = nan
    return out


def rated_items(rows: FloatArray, freq: FloatArray) -> int:
    """Items with 1+ rating: the n of Gwet's variance and of its t quantile's n - 1 df."""
    return round(float(freq[rows.sum(axis=1) >= 1].sum()))
