-- B7 child in need plans (facts.cin_plan, each year's own return, from 2022): plans starting in
-- the year and distinct children starting one; distinct children with a plan open at 31 March.
SELECT year, la,
       count(*) FILTER (WHERE started_in_year)                 AS CIN_plan_start,
       count(DISTINCT child_id) FILTER (WHERE started_in_year) AS CIN_plan_child_start,
       count(DISTINCT child_id) FILTER (WHERE open_at31)       AS CIN_plan_At31
FROM facts.cin_plan
WHERE year >= 2022
GROUP BY ALL
