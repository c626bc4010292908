"""The "best" sort: Wilson score lower bound."""

import itertools

import pytest

from kommentar.ranking import Z_95, wilson_lower_bound


@pytest.mark.parametrize(
    ("up", "down", "expected"),
    [
        # With only up-votes the bound simplifies to n / (n + z²), z² = 3.841459.
        (1, 0, 0.2065),
        (2, 0, 0.3424),
        (5, 0, 0.5655),
        (10, 0, 0.7225),
        (1, 1, 0.0945),
        (50, 50, 0.4038),
        (100, 5, 0.8933),
        (500, 50, 0.8821),
        (600, 400, 0.5693),
    ],
)
def test_known_values(up, down, expected):
    assert wilson_lower_bound(up, down) == pytest.approx(expected, abs=1e-4)


@pytest.mark.parametrize("up", [1, 2, 5, 10, 1000])
def test_only_up_votes_follow_the_closed_form(up):
    assert wilson_lower_bound(up, 0) == pytest.approx(up / (up + Z_95**2), abs=1e-12)


def test_no_votes_scores_zero():
    assert wilson_lower_bound(0, 0) == 0.0


@pytest.mark.parametrize("down", [1, 2, 10, 1000, 10**6])
def test_only_down_votes_scores_zero(down):
    assert wilson_lower_bound(0, down) == pytest.approx(0.0, abs=1e-12)
    assert wilson_lower_bound(0, down) >= 0.0


@pytest.mark.parametrize(
    ("better", "worse"),
    [
        ((100, 5), (1, 0)),
        ((10, 0), (1, 0)),
        ((500, 50), (600, 400)),
        ((1, 0), (0, 0)),
        ((1, 0), (0, 1)),
        ((5, 1), (5, 5)),
    ],
)
def test_docstring_ordering_examples(better, worse):
    assert wilson_lower_bound(*better) > wilson_lower_bound(*worse)


def test_zero_votes_and_only_down_votes_rank_together():
    assert wilson_lower_bound(0, 0) == pytest.approx(wilson_lower_bound(0, 7), abs=1e-12)


@pytest.mark.parametrize(("up", "down"), list(itertools.product(range(0, 30, 3), repeat=2)))
def test_an_extra_up_vote_raises_the_score_and_an_extra_down_vote_lowers_it(up, down):
    score = wilson_lower_bound(up, down)
    assert wilson_lower_bound(up + 1, down) > score
    if up > 0:
        assert wilson_lower_bound(up, down + 1) < score


@pytest.mark.parametrize("share", [0.25, 0.5, 0.8, 1.0])
def test_more_votes_at_the_same_share_raise_the_score(share):
    scores = [wilson_lower_bound(round(n * share), n - round(n * share)) for n in (4, 40, 400)]
    assert scores == sorted(scores)
    assert scores[-1] < share


@pytest.mark.parametrize(("up", "down"), [(1, 0), (3, 7), (50, 50), (999, 1), (0, 5)])
def test_score_stays_below_the_observed_share(up, down):
    assert 0.0 <= wilson_lower_bound(up, down) <= up / (up + down)


@pytest.mark.parametrize(("up", "down"), [(1, 2), (10, 30), (400, 100)])
def test_swapping_votes_never_ranks_the_minority_view_higher(up, down):
    liked, disliked = max(up, down), min(up, down)
    assert wilson_lower_bound(liked, disliked) > wilson_lower_bound(disliked, liked)


@pytest.mark.parametrize(("up", "down"), [(-1, 0), (0, -1)])
def test_negative_counts_are_a_programming_error(up, down):
    with pytest.raises(ValueError):
        wilson_lower_bound(up, down)
