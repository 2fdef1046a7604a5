-- A7 children in need at 31 March (facts.episode_of_need, open_at31, as B1 At31_episodes) by the
-- child's characteristics at 31 March (facts.child_characteristic: gender, unborn, age band,
-- major and minor ethnic group). Every LA-year with children in need has a row for every
-- published pair (facts.characteristic), so that each row carries the helper CIN_At31_all (the
-- LA's children in need at 31 March, the denominator of the percentages) even where it counts 0.
WITH cin AS (
    SELECT e.year, e.la, h.characteristic, h.characteristic_type, count(*) AS CIN_At31
    FROM facts.episode_of_need e
    JOIN facts.child_characteristic h USING (year, la, child_id)
    WHERE e.open_at31
    GROUP BY ALL
),
la_total AS (
    SELECT year, la, CIN_At31 AS CIN_At31_all FROM cin WHERE characteristic_type = 'Total'
)
SELECT t.year, t.la, k.characteristic, k.characteristic_type,
       coalesce(c.CIN_At31, 0) AS CIN_At31, t.CIN_At31_all
FROM la_total t
CROSS JOIN facts.characteristic k
LEFT JOIN cin c USING (year, la, characteristic, characteristic_type)
