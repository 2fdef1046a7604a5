-- D8 child protection plans ending in the first six months of the year (end date from 1 April to
-- 30 September: every one is followed for at least 6 months to 31 March) by how long the child
-- then remained in need: from the plan's end date to the closure date of the episode of need that
-- held the plan (facts.episode), in calendar months. An episode still open at 31 March counts as
-- more than 6 months (30 September + 6 months is 30 March). A plan whose episode closed before the
-- plan ended (validation error 8565) is not counted, so every plan falls in exactly one band.
WITH p AS (
    SELECT c.year, c.la, c.end_date, e.closure_date
    FROM facts.cpp c
    JOIN facts.episode e USING (year, la, child_id, episode_seq)
    WHERE c.end_date BETWEEN make_date(c.year - 1, 4, 1) AND make_date(c.year - 1, 9, 30)
      AND (e.closure_date IS NULL OR e.closure_date >= c.end_date)
)
SELECT year, la,
       count(*) AS CPP_end_first_6_months,
       count(*) FILTER (WHERE closure_date = end_date)                                   AS CIN_closed_same_day,
       count(*) FILTER (WHERE closure_date > end_date
                          AND closure_date <= end_date + INTERVAL 3 MONTH)               AS CIN_closed_within_3_months,
       count(*) FILTER (WHERE closure_date > end_date + INTERVAL 3 MONTH
                          AND closure_date <= end_date + INTERVAL 6 MONTH)               AS CIN_closed_3_to_6_months,
       count(*) FILTER (WHERE closure_date IS NULL
                          OR closure_date > end_date + INTERVAL 6 MONTH)                 AS CIN_more_than_6_months
FROM p
GROUP BY ALL
