"""The shared NaN-aware multiple-testing correction: the finite p-values get statsmodels' answer as if the NaN ones
were never there, and the NaN ones come back NaN and not rejected."""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.stats.multitest import multipletests

from harness._multitest import adjust_p_values


@pytest.mark.parametrize("method", ["holm", "fdr_bh"])
def test_nan_p_values_stay_out_of_the_family(method):
    p = np.array([0.001, np.nan, 0.04, 0.03, np.nan, 0.5])
    reject, adjusted = adjust_p_values(p, alpha=0.05, method=method)
    finite = ~np.isnan(p)
    expected_reject, expected_adjusted = multipletests(p[finite], alpha=0.05, method=method)[:2]
    np.testing.assert_array_equal(reject[finite], expected_reject)
    np.testing.assert_allclose(adjusted[finite], expected_adjusted)
    assert np.isnan(adjusted[~finite]).all() and not reject[~finite].any()


@pytest.mark.parametrize("p", [[], [np.nan, np.nan]])
def test_a_family_without_a_test_rejects_nothing(p):
    reject, adjusted = adjust_p_values(p, alpha=0.05, method="holm")
    assert reject.shape == adjusted.shape == (len(p),) and not reject.any() and np.isnan(adjusted).all()


def test_the_family_size_decides_the_correction():
    """Holm multiplies the smallest p by the number of tests actually run, not by the length of the input."""
    _, with_gaps = adjust_p_values([0.01, np.nan, np.nan, 0.2], alpha=0.05, method="holm")
    assert with_gaps[0] == pytest.approx(0.02)
