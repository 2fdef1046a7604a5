"""Categories of abuse as D2 and D4 publish them (not a table: discovery skips ``_`` modules)."""

from cin_pipeline.tables.declare import Indicator, count, percent

# census code -> column stem and words. The stems are A6's (2020: Physical_abuse_Initial); A5
# 2020 spells Physical_Abuse_Initial: A6 is these tables' national counterpart, so its spelling.
CATEGORIES = (
    ("NEG", "Neglect", "neglect"),
    ("PHY", "Physical_abuse", "physical abuse"),
    ("SAB", "Sexual_abuse", "sexual abuse"),
    ("EMO", "Emotional_abuse", "emotional abuse"),
    ("MUL", "Multiple", "multiple"),
)
WHICH = ("Initial", "Latest")


def category_indicators(total: str, total_label: str, plans: str) -> tuple[Indicator, ...]:
    """``total``, then for the initial and the latest category each category's count and its
    percentage of ``total``; ``plans`` names the plans in the labels ("Plans at 31 March")."""
    out = [count(total, total_label)]
    for which in WHICH:
        grouping = f"{which} category of abuse"
        for _, stem, cat in CATEGORIES:
            col = f"{stem}_{which}"
            out.append(count(col, f"{plans} with {which.lower()} category {cat}", grouping))
            out.append(percent(f"{col}_percent",
                               f"Percentage of {plans[0].lower()}{plans[1:]} with {which.lower()} category {cat}",
                               col, total, grouping))
    return tuple(out)


def category_sums(total: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """``total`` = the categories, once for the initial and once for the latest category."""
    return tuple((total, tuple(f"{stem}_{which}" for _, stem, _ in CATEGORIES)) for which in WHICH)
