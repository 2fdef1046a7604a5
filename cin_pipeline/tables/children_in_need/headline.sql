-- Headline figures: one row per year, LA and measure (headline_measure), its count (number) and
-- the count it is a percentage of (percent_base; 0 where no percentage is published). Each count
-- is the LA table's own, from the same facts with the same predicates (B1, C1, C2, C4, D1, D3),
-- so that the national figures agree with those tables (declared agreements). The formatter
-- publishes the release year only.
WITH cin AS (
    SELECT year, la,
           count(*) FILTER (WHERE open_at31)                 AS at31
    FROM facts.episode_of_need GROUP BY ALL
),
cin_child AS (
    SELECT year, la, count(*) FILTER (WHERE in_need_anypoint) AS anypoint_child
    FROM facts.child_year WHERE of_need GROUP BY ALL
),
ref AS (
    SELECT year, la, count(*) AS referrals, count(*) FILTER (WHERE rereferral_12m) AS re_referrals
    FROM facts.referral GROUP BY ALL
),
assessed AS (
    SELECT year, la, count(*) AS n
    FROM facts.assessment WHERE completed_in_year AND working_days IS NOT NULL GROUP BY ALL
),
s47 AS (
    SELECT year, la, count(*) AS n FROM facts.section47 WHERE started_in_year GROUP BY ALL
),
icpc AS (
    SELECT year, la, count(*) AS n FROM facts.icpc GROUP BY ALL
),
cpp AS (
    SELECT year, la,
           count(*) FILTER (WHERE started_in_year)                        AS started,
           count(*) FILTER (WHERE started_in_year AND previous_plans > 0) AS subsequent,
           count(*) FILTER (WHERE open_at31)                              AS at31
    FROM facts.cpp GROUP BY ALL
)
SELECT year, la, 'Children in need at 31 March' AS headline_measure, at31 AS number,
       0 AS percent_base FROM cin
UNION ALL SELECT year, la, 'Children in need at any point in the year', anypoint_child, 0 FROM cin_child
UNION ALL SELECT year, la, 'Referrals in the year', referrals, 0 FROM ref
UNION ALL SELECT year, la, 'Re-referrals within 12 months of a previous referral', re_referrals,
                 referrals FROM ref
UNION ALL SELECT year, la, 'Assessments completed in the year', n, 0 FROM assessed
UNION ALL SELECT year, la, 'Section 47 enquiries starting in the year', n, 0 FROM s47
UNION ALL SELECT year, la, 'Initial child protection conferences in the year', n, 0 FROM icpc
UNION ALL SELECT year, la, 'Child protection plans starting in the year', started, 0 FROM cpp
UNION ALL SELECT year, la, 'Children on a child protection plan at 31 March', at31, 0 FROM cpp
UNION ALL SELECT year, la, 'Child protection plans starting in the year which were a second or subsequent plan',
                 subsequent, started FROM cpp
