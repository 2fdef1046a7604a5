-- D1 child protection plans (facts.cpp, each year's own return): starting in the year, ending in
-- the year, at any point in the year (ended in the year or open at 31 March: every plan in a
-- return ends in that year or is still open, rule 8930, and starts on or before its end, 8925),
-- at 31 March; plans, and distinct children for the first three.
SELECT year, la,
       count(*) FILTER (WHERE started_in_year)                             AS CPP_start,
       count(DISTINCT child_id) FILTER (WHERE started_in_year)             AS CPP_child_start,
       count(*) FILTER (WHERE ended_in_year)                               AS CPP_end,
       count(DISTINCT child_id) FILTER (WHERE ended_in_year)               AS CPP_child_end,
       count(*) FILTER (WHERE ended_in_year OR open_at31)                  AS CPP_anypoint,
       count(DISTINCT child_id) FILTER (WHERE ended_in_year OR open_at31)  AS CPP_child_anypoint,
       count(*) FILTER (WHERE open_at31)                                   AS CPP_At31
FROM facts.cpp
GROUP BY ALL
