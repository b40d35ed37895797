"""Tests of rfm_segments: scores and segments worked by hand, properties, bad input."""

from __future__ import annotations

import re

import narwhals.stable.v2 as nw
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retention_kpis.clv import DEFAULT_SEGMENTS, SegmentRule, rfm_segments, rfm_summary
from retention_kpis.exceptions import ColumnNotFoundError, InvalidInputError

# Ten customers, worked by hand (bins=5, so score = 1 + i // 2 for 0-based rank i of 10).
#
# id  f  rec  T   m   R key = rec - T
#  1  0   0  40   0   -40
#  2  5  35  40  90    -5
#  3  2  10  38  20   -28
#  4  8  39  40  80    -1
#  5  0   0  10   0   -10
#  6  1   5  30  15   -25
#  7  3  30  36  30    -6
#  8  2  12  40  18   -28
#  9  6  20  39  60   -19
# 10  0   0   2   0    -2
#
# R: order by (key, id): 1(-40) 3(-28) 8(-28) 6 9 5 7 2 10 4 -> scores 1 1 2 2 3 3 4 4 5 5.
#    The tie 3/8 at -28 straddles a bin edge: the smaller id (3) ranks lower.
# F: order by (f, id): 1 5 10 (f=0) 6 3 8 (f=1,2,2) 7 2 9 4 -> 1 1 2 2 3 3 4 4 5 5.
# M: order by (m, id): 1 5 10 (m=0) 6(15) 8(18) 3(20) 7(30) 9(60) 4(80) 2(90) -> 1 1 2 2 3 3 4 4 5 5.
# FM = (F + M) / 2; first matching rule of DEFAULT_SEGMENTS:
# id  R F M  FM   segment
#  1  1 1 1  1    lost            (R 1, FM in [1, 2]; no earlier rule has R 1 and FM < 2)
#  2  4 4 5  4.5  champions       (R 4-5, FM 4-5)
#  3  1 3 3  3    at_risk         (R 1-2, FM 3-5; cannot_lose needs FM >= 4)
#  4  5 5 5  5    champions
#  5  3 1 1  1    about_to_sleep  (R 2-3, FM 1-2; need_attention needs FM >= 2)
#  6  2 2 2  2    need_attention  (R 2-3, FM 2-3)
#  7  4 4 4  4    champions
#  8  2 3 3  3    at_risk
#  9  3 5 4  4.5  loyal           (R 3-5, FM 3-5; champions needs R >= 4)
# 10  5 2 2  2    potential_loyalists (R 4-5, FM 1-3; new needs FM 1)
TEN = pd.DataFrame(
    {
        "customer_id": list(range(1, 11)),
        "frequency": [0, 5, 2, 8, 0, 1, 3, 2, 6, 0],
        "recency": [0.0, 35, 10, 39, 0, 5, 30, 12, 20, 0],
        "T": [40.0, 40, 38, 40, 10, 30, 36, 40, 39, 2],
        "monetary_value": [0.0, 90, 20, 80, 0, 15, 30, 18, 60, 0],
    }
)
R_SCORES = [1, 4, 1, 5, 3, 2, 4, 2, 3, 5]
F_SCORES = [1, 4, 3, 5, 1, 2, 4, 3, 5, 2]
M_SCORES = [1, 5, 3, 5, 1, 2, 4, 3, 4, 2]
SEGMENTS = [
    "lost",
    "champions",
    "at_risk",
    "champions",
    "about_to_sleep",
    "need_attention",
    "champions",
    "at_risk",
    "loyal",
    "potential_loyalists",
]


def collected(result):
    frame = nw.from_native(result)
    if isinstance(frame, nw.LazyFrame):
        frame = frame.collect()
    return frame.to_dict(as_series=False)


def test_ten_customers_scores_and_segments_match_hand_calculation(constructor):
    got = collected(
        rfm_segments(constructor(TEN), customer_id="customer_id", monetary_value="monetary_value")
    )
    assert got["customer_id"] == list(range(1, 11))
    assert got["recency_score"] == R_SCORES
    assert got["frequency_score"] == F_SCORES
    assert got["monetary_score"] == M_SCORES
    assert got["segment"] == SEGMENTS
    assert list(got) == [
        *TEN.columns,
        "recency_score",
        "frequency_score",
        "monetary_score",
        "segment",
    ]


def test_without_monetary_fm_is_the_frequency_score_hand_calculation():
    # FM = F: 1 (R1 F1) lost, 2 (R4 F4) champions, 3 (R1 F3) at_risk, 4 (R5 F5) champions,
    # 5 (R3 F1) about_to_sleep, 6 (R2 F2) need_attention, 7 (R4 F4) champions,
    # 8 (R2 F3) at_risk, 9 (R3 F5) loyal, 10 (R5 F2) potential_loyalists: as with M.
    got = rfm_segments(TEN.drop(columns="monetary_value"), customer_id="customer_id")
    assert "monetary_score" not in got.columns
    assert got["frequency_score"].tolist() == F_SCORES
    assert got["segment"].tolist() == SEGMENTS


@pytest.mark.parametrize(
    ("r_scores", "f_scores", "segments"),
    [
        # R5 F1 new; R4 F2 potential_loyalists; R1 F5 cannot_lose; R3 F4 loyal; R2 F3 at_risk.
        (
            [5, 4, 1, 3, 2],
            [1, 2, 5, 4, 3],
            ["new", "potential_loyalists", "cannot_lose", "loyal", "at_risk"],
        ),
        # R4 F1 promising; R1 F2 hibernating; R5 F5 champions; R2 F4 at_risk; R3 F3 loyal.
        (
            [4, 1, 5, 2, 3],
            [1, 2, 5, 4, 3],
            ["promising", "hibernating", "champions", "at_risk", "loyal"],
        ),
    ],
)
def test_five_customers_reach_the_remaining_segments(r_scores, f_scores, segments):
    # Five customers and five bins: every rank is its own score. T = 10 and recency = the wanted
    # R score orders recency - T as R; frequency = the wanted F score orders F.
    summary = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d", "e"],
            "frequency": f_scores,
            "recency": [float(r) for r in r_scores],
            "T": [10.0] * 5,
        }
    )
    got = rfm_segments(summary, customer_id="customer_id")
    assert got["recency_score"].tolist() == r_scores
    assert got["frequency_score"].tolist() == f_scores
    assert got["segment"].tolist() == segments


def test_every_default_segment_is_reachable_and_every_cell_has_one():
    # The documented 5 x 5 grid of DEFAULT_SEGMENTS, with FM on its half steps; first match wins.
    def first(r, fm):
        return next(
            rule.name
            for rule in DEFAULT_SEGMENTS
            if rule.matches(
                {"recency": r, "frequency": fm, "monetary": fm, "frequency_monetary": fm}
            )
        )

    grid = {r: [first(r, fm / 2) for fm in range(2, 11)] for r in range(1, 6)}
    # FM:      1     1.5     2     2.5     3    3.5    4   4.5   5   (from the docstring's table)
    pot, na, ats = "potential_loyalists", "need_attention", "about_to_sleep"
    assert grid[5] == ["new", pot, pot, pot, "loyal", "loyal", *["champions"] * 3]
    assert grid[4] == ["promising", pot, pot, pot, "loyal", "loyal", *["champions"] * 3]
    assert grid[3] == [ats, ats, na, na, *["loyal"] * 5]
    assert grid[2] == [ats, ats, na, na, *["at_risk"] * 5]
    assert grid[1] == [
        "lost",
        "lost",
        "hibernating",
        "hibernating",
        "at_risk",
        "at_risk",
        *["cannot_lose"] * 3,
    ]
    assert len({rule.name for rule in DEFAULT_SEGMENTS}) == 11


def test_a_user_table_replaces_the_default_first_match_wins():
    rules = [
        SegmentRule(name="top", recency=(2, 2), frequency=(2, 2)),
        SegmentRule(name="recent", recency=(2, 2)),
        SegmentRule(name="rest"),
    ]
    # bins=2: score = 1 + floor(2 i / 10), i.e. ranks 0-4 -> 1 and 5-9 -> 2.
    # R order 1 3 8 6 9 | 5 7 2 10 4; F order 1 5 10 6 3 | 8 7 2 9 4.
    got = rfm_segments(TEN, customer_id="customer_id", bins=2, segments=rules)
    assert got["recency_score"].tolist() == [1, 2, 1, 2, 2, 1, 2, 1, 1, 2]
    assert got["frequency_score"].tolist() == [1, 2, 1, 2, 1, 1, 2, 2, 2, 1]
    assert got["segment"].tolist() == [
        "rest",
        "top",
        "rest",
        "top",
        "recent",
        "rest",
        "top",
        "rest",
        "rest",
        "recent",
    ]


def test_dict_rules_are_accepted_as_data():
    rules = [{"name": "recent", "recency": (3, 3)}, {"name": "other"}]
    got = rfm_segments(TEN, customer_id="customer_id", bins=3, segments=rules)
    # bins=3, n=10: score = 1 + floor(3 i / 10): ranks 0-3 -> 1, 4-6 -> 2, 7-9 -> 3.
    # R order 1 3 8 6 | 9 5 7 | 2 10 4: customers 2, 4, 10 are "recent".
    assert got.loc[got["segment"] == "recent", "customer_id"].tolist() == [2, 4, 10]


def test_transactions_are_summarised_first():
    transactions = pd.DataFrame(
        {
            "customer": ["a", "a", "b", "c", "c", "c"],
            "date": pd.to_datetime(
                ["2024-01-01", "2024-01-20", "2024-01-15", "2024-01-02", "2024-01-10", "2024-01-30"]
            ),
            "amount": [5.0, 10.0, 7.0, 1.0, 2.0, 3.0],
        }
    )
    got = rfm_segments(
        transactions,
        customer_id="customer",
        timestamp="date",
        monetary_value="amount",
        bins=3,
        segments=None,
    )
    summary = rfm_summary(
        transactions, customer_id="customer", timestamp="date", monetary_value="amount"
    )
    pd.testing.assert_frame_equal(got[summary.columns], summary)
    # recency - T: a 19-29=-10, b 0-15=-15, c 28-28=0 -> R b 1, a 2, c 3.
    # frequency: a 1, b 0, c 2 -> F b 1, a 2, c 3. monetary: a 10, b 0, c 2.5 -> M b 1, c 2, a 3.
    assert got["recency_score"].tolist() == [2, 1, 3]
    assert got["frequency_score"].tolist() == [2, 1, 3]
    assert got["monetary_score"].tolist() == [3, 1, 2]


def test_empty_summary_gives_an_empty_result(constructor):
    got = collected(rfm_segments(constructor(TEN.iloc[:0]), customer_id="customer_id"))
    assert got["segment"] == []


def test_input_is_not_modified():
    before = TEN.copy()
    rfm_segments(TEN, customer_id="customer_id", monetary_value="monetary_value")
    pd.testing.assert_frame_equal(TEN, before)


summaries = st.integers(min_value=1, max_value=40).flatmap(
    lambda n: st.tuples(
        st.permutations(range(n)),
        st.lists(st.integers(0, 6), min_size=n, max_size=n),
        st.lists(st.integers(0, 8), min_size=n, max_size=n),
        st.lists(st.integers(0, 4), min_size=n, max_size=n),
        st.lists(st.sampled_from([0.0, 5.0, 5.0, 12.5]), min_size=n, max_size=n),
    )
)


@settings(max_examples=60, deadline=None)
@given(summaries, st.integers(min_value=2, max_value=7), st.randoms(use_true_random=False))
def test_scores_in_range_one_segment_each_and_row_order_invariant(data, bins, rng):
    ids, frequency, recency, gap, monetary = data
    frame = pd.DataFrame(
        {
            "customer_id": ids,
            "frequency": frequency,
            "recency": [float(r) for r in recency],
            "T": [float(r + g) for r, g in zip(recency, gap, strict=True)],
            "monetary_value": monetary,
        }
    )
    rules = (
        DEFAULT_SEGMENTS
        if bins == 5
        else [SegmentRule(name="top", recency=(bins, bins)), SegmentRule(name="rest")]
    )
    got = rfm_segments(
        frame, customer_id="customer_id", monetary_value="monetary_value", bins=bins, segments=rules
    )
    n = len(frame)
    for column in ("recency_score", "frequency_score", "monetary_score"):
        assert got[column].between(1, bins).all()
        # Equal-count bins: score s holds the ranks i with floor(i * bins / n) == s - 1.
        counts = got[column].value_counts().to_dict()
        expected = pd.Series([i * bins // n + 1 for i in range(n)]).value_counts().to_dict()
        assert counts == expected
    assert got["segment"].notna().all()
    assert got["segment"].isin([rule.name for rule in rules]).all()
    assert got["customer_id"].tolist() == sorted(ids)
    shuffled = frame.sample(frac=1.0, random_state=rng.randint(0, 2**31 - 1))
    again = rfm_segments(
        shuffled,
        customer_id="customer_id",
        monetary_value="monetary_value",
        bins=bins,
        segments=rules,
    )
    pd.testing.assert_frame_equal(again, got)


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        (
            {"bins": 1},
            InvalidInputError,
            "The 'bins' parameter of rfm_segments must be a whole number >= 2. Got 1 instead.",
        ),
        (
            {"bins": 4},
            InvalidInputError,
            (
                "The 'bins' parameter of rfm_segments must be 5 with the default segment table. "
                "Got 4 instead.\nHint: pass segments= with ranges on your scale, or segments=None."
            ),
        ),
        (
            {"segments": []},
            InvalidInputError,
            (
                "The 'segments' parameter of rfm_segments must be a non-empty sequence of SegmentRule "
                "(or None for scores only). Got [] instead."
            ),
        ),
        (
            {"segments": [SegmentRule(name="recent", recency=(4, 5))]},
            InvalidInputError,
            (
                "The 'segments' parameter of rfm_segments must give every score combination a "
                "segment. Got no rule for (recency, frequency) = (1, 1) (15 combination(s) in all) "
                "instead.\nHint: end the table with a catch-all SegmentRule(name='other')."
            ),
        ),
        (
            {"segments": [SegmentRule(name="big", monetary=(1, 5))]},
            InvalidInputError,
            (
                "The 'segments' parameter of rfm_segments uses monetary scores, but no monetary_value "
                "column was given.\nHint: pass monetary_value=."
            ),
        ),
        (
            {"segments": [{"name": "x", "recency": (5, 1)}]},
            InvalidInputError,
            (
                "The 'segments' parameter of rfm_segments must hold SegmentRule rows. Got "
                "{'name': 'x', 'recency': (5, 1)} at position 0 instead (Value error, a score range "
                "must be (low, high) with low <= high, got (5.0, 1.0))."
            ),
        ),
    ],
)
def test_bad_parameters_use_the_message_template(options, error, message):
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        rfm_segments(TEN.drop(columns="monetary_value"), customer_id="customer_id", **options)


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        (
            lambda f: f.drop(columns="T"),
            ColumnNotFoundError,
            (
                "Missing column(s) ['T'] in summary for rfm_segments. Available columns: "
                "['customer_id', 'frequency', 'recency', 'monetary_value'].\nHint: pass the output "
                "of rfm_summary, or transactions with timestamp=."
            ),
        ),
        (
            lambda f: f.assign(recency=f["recency"] + 50),
            InvalidInputError,
            "Some values in recency are larger than T: 10 rows of summary.",
        ),
        (
            lambda f: f.assign(frequency=[-1] + [0] * 9),
            InvalidInputError,
            (
                "Columns ['frequency', 'recency', 'T', 'monetary_value'] of summary must be >= 0. "
                "Got 1 row with a negative value instead."
            ),
        ),
        (
            lambda f: f.assign(monetary_value=[float("nan"), float("inf")] + [0.0] * 8),
            InvalidInputError,
            (
                "Columns ['frequency', 'recency', 'T', 'monetary_value'] of summary must be finite. "
                "Got 2 rows with null, nan or inf instead."
            ),
        ),
        (
            lambda f: f.assign(customer_id=[None, *list(range(9))]),
            InvalidInputError,
            "Column 'customer_id' (customer_id) of summary has 1 row with a null id.",
        ),
        (
            lambda f: f.assign(frequency="x"),
            InvalidInputError,
            "Column 'frequency' of summary must be numeric for rfm_segments. Got dtype String instead.",
        ),
    ],
)
def test_bad_summaries_are_rejected_with_counts(change, error, message):
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        rfm_segments(change(TEN), customer_id="customer_id", monetary_value="monetary_value")


def test_non_frames_are_rejected():
    message = (
        "The 'data' parameter of rfm_segments must be a dataframe narwhals supports (pandas, "
        "polars, pyarrow, DuckDB, ...). Got list instead."
    )
    with pytest.raises(InvalidInputError, match=f"^{re.escape(message)}$"):
        rfm_segments([1, 2], customer_id="customer_id", segments=None)
