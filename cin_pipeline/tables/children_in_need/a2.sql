-- A2 national time series: one row per year, LA and measure (category_type), the measure's count
-- (number) and the count it is a percentage of (percent_base; 0 where A2 publishes no
-- percentage). The counts are C4's (facts.section47, facts.icpc), D1's and D3's (facts.cpp),
-- with the same predicates, so that A2 equals them (declared agreements).
WITH s47 AS (
    SELECT year, la, count(*) AS n, count(DISTINCT child_id) AS children
    FROM facts.section47 WHERE started_in_year GROUP BY ALL
),
icpc AS (
    SELECT year, la, count(*) AS n, count(DISTINCT child_id) AS children
    FROM facts.icpc GROUP BY ALL
),
cpp AS (
    SELECT year, la,
           count(*) FILTER (WHERE open_at31)                           AS at31,
           count(*) FILTER (WHERE started_in_year)                     AS started,
           count(DISTINCT child_id) FILTER (WHERE started_in_year)     AS started_child,
           count(*) FILTER (WHERE started_in_year AND previous_plans > 0) AS subsequent,
           count(*) FILTER (WHERE ended_in_year)                       AS ended,
           count(DISTINCT child_id) FILTER (WHERE ended_in_year)       AS ended_child
    FROM facts.cpp
    GROUP BY ALL
)
SELECT year, la, 'Section 47s in the year' AS category_type, n AS number, 0 AS percent_base FROM s47
UNION ALL SELECT year, la, 'Children subject to a Section 47 in the year', children, 0 FROM s47
UNION ALL SELECT year, la, 'ICPCs in the year', n, 0 FROM icpc
UNION ALL SELECT year, la, 'Children subject to an ICPC in the year', children, 0 FROM icpc
UNION ALL SELECT year, la, 'CPP at 31 March', at31, 0 FROM cpp
UNION ALL SELECT year, la, 'CPPs starting in the year', started, 0 FROM cpp
UNION ALL SELECT year, la, 'Children subject to a CPP starting in the year', started_child, 0 FROM cpp
UNION ALL SELECT year, la, 'CPPs starting in the year which were a second or subsequent plan',
                 subsequent, started FROM cpp
UNION ALL SELECT year, la, 'CPPs ending in the year', ended, 0 FROM cpp
UNION ALL SELECT year, la, 'Children subject to a CPP ending in the year', ended_child, 0 FROM cpp
