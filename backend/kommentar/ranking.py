"""The "best" sort order: comments ranked by the Wilson score lower bound of their votes.

The two obvious scores both fail. Up minus down ranks a comment with 600 up
and 400 down (60 % liked) above one with 500 up and 50 down (91 % liked),
because it counts noise as signal on busy comments. The share of up-votes,
up / (up + down), ranks a comment with a single up-vote (100 %) above one with
100 up and 5 down (95 %), because it trusts one reader as much as a hundred.

The Wilson score interval answers the real question: given the votes so far,
what share of all readers would, at worst, like this comment? Its lower bound
at 95 % confidence starts low when there are few votes and rises towards the
observed share as votes accumulate. So:

- 1 up / 0 down scores about 0.21 and ranks below 100 up / 5 down (about 0.89);
- 10 up / 0 down (about 0.72) ranks above 1 up / 0 down;
- a comment with no votes scores 0.0, with nothing known about it;
- a comment with only down-votes also scores 0.0, the floor.

Reference: Evan Miller, "How Not To Sort By Average Rating" (2009), and
E. B. Wilson, "Probable inference, the law of succession, and statistical
inference", JASA 22 (1927).
"""

from __future__ import annotations

import math

# The two-sided 95 % quantile of the standard normal distribution.
Z_95 = 1.959963984540054


def wilson_lower_bound(up: int, down: int) -> float:
    """Return the 95 % Wilson score lower bound on the share of up-votes (0.0 with no votes)."""
    if up < 0 or down < 0:
        raise ValueError("vote counts cannot be negative")
    total = up + down
    if total == 0:
        return 0.0
    share = up / total
    z2 = Z_95 * Z_95
    centre = share + z2 / (2 * total)
    margin = Z_95 * math.sqrt((share * (1 - share) + z2 / (4 * total)) / total)
    # With no up-votes centre and margin are equal; rounding can leave -1e-17.
    return max(0.0, (centre - margin) / (1 + z2 / total))
