"""The figures issues 6 and 10 ask of Kommentar, checked against a run's tables, so the report
says plainly which are met. A target whose scenario did not run is left out."""

from __future__ import annotations

from report import Summary, number, times

Rows = dict[str, dict[str, Summary]]


def _rps_ratio(rows: Rows, scenario: str, bottom: str) -> float | None:
    found = rows.get(scenario, {})
    if "Kommentar" not in found or bottom not in found or not found[bottom].rps:
        return None
    return found["Kommentar"].rps / found[bottom].rps


def table(rows: Rows, scale: Rows, backends: list[str], verdicts: list) -> str:
    """One line per target: what it asks, the figure, met or not."""
    checks: list[tuple[str, str, bool]] = []
    for scenario in ("thread-200-page", "thread-200-all"):
        ratio = _rps_ratio(rows, scenario, "Isso")
        if ratio is not None:
            checks.append((f"{scenario}: ≥50× Isso", times(ratio), ratio >= 50))
        ratio = _rps_ratio(rows, scenario, "ceiling")
        if ratio is not None:
            checks.append((f"{scenario}: ≥70% of the ceiling", f"{ratio:.0%}", ratio >= 0.7))
    page = rows.get("thread-2000-page", {}).get("Kommentar")
    if page is not None:
        checks.append(("thread-2000-page: p99 < 50 ms", f"{number(page.p99)} ms", page.p99 < 50))
    for scenario, wanted in (("thread-2000-all", 100), ("counts-50", 10), ("post", 3),
                             ("vote", 1.5)):
        ratio = _rps_ratio(rows, scenario, "Isso")
        if ratio is not None:
            checks.append((f"{scenario}: ≥{wanted}× Isso", times(ratio), ratio >= wanted))
    for backend in backends:
        costs = {scenario: found[f"{backend} small"].rps / found[f"{backend} large"].rps
                 for scenario, found in scale.items()
                 if f"{backend} small" in found and f"{backend} large" in found}
        if costs:
            worst = max(costs, key=costs.get)
            checks.append((f"{backend}: large database ≤1.5× the small one's cost, every read",
                           f"worst {costs[worst]:.2f} ({worst})", costs[worst] <= 1.5))
    for verdict in verdicts:
        if verdict.server == "Kommentar":
            checks.append(("mixed load: zero 5xx, every acknowledged write present",
                           "PASS" if verdict.passed else "FAIL", verdict.passed))
    lines = ["| target | figure | met |", "|---|---|---|"]
    lines += [f"| {what} | {figure} | {'yes' if met else '**no**'} |"
              for what, figure, met in checks]
    return "\n".join(lines)
