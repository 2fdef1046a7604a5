-- A1 national time series: one row per year, LA and measure (category_type), the measure's
-- count (number) and the count it is a percentage of (percent_base; 0 where A1 publishes no
-- percentage). The counts are B1's (facts.episode_of_need, facts.child_year), C1's
-- (facts.referral, facts.episode, facts.child_year) and assessments authorised in the year
-- (facts.assessment), with the same predicates, so that A1 equals B1 and C1 (declared
-- agreements).
WITH episodes AS (
    SELECT year, la,
           count(*) FILTER (WHERE anypoint)   AS anypoint_episodes,
           count(*) FILTER (WHERE started)    AS started_episodes,
           count(*) FILTER (WHERE ended)      AS ended_episodes,
           count(*) FILTER (WHERE open_at31)  AS at31
    FROM facts.episode_of_need
    GROUP BY ALL
),
children AS (
    SELECT year, la,
           count(*) FILTER (WHERE in_need_anypoint)     AS anypoint_child,
           count(*) FILTER (WHERE started_need)         AS started_child,
           count(*) FILTER (WHERE ended_need)           AS ended_child,
           count(*) FILTER (WHERE awaiting_assessment)  AS awaiting
    FROM facts.child_year WHERE of_need
    GROUP BY ALL
),
cin AS (
    SELECT * FROM episodes JOIN children USING (year, la)
),
nin AS (
    SELECT DISTINCT year, la, child_id, referral_date
    FROM facts.episode WHERE closed_after_assessment_rc8_rc9
),
referrals AS (
    SELECT year, la,
           count(*)                                    AS referrals,
           count(*) FILTER (WHERE rereferral_12m)      AS re_referrals,
           count(*) FILTER (WHERE referral_nfa)        AS nfa,
           count(*) FILTER (WHERE nin.la IS NOT NULL)  AS not_in_need
    FROM facts.referral LEFT JOIN nin USING (year, la, child_id, referral_date)
    GROUP BY ALL
),
referred AS (
    SELECT year, la,
           count(*)                                AS referrals_child,
           count(*) FILTER (WHERE rereferred_12m)  AS re_referrals_child
    FROM facts.child_year WHERE referred
    GROUP BY ALL
),
ref AS (
    SELECT * FROM referrals JOIN referred USING (year, la)
),
assessed AS (
    SELECT year, la, count(*) AS n FROM facts.assessment WHERE completed_in_year GROUP BY ALL
)
SELECT year, la, 'Episodes of need at any point in the year' AS category_type,
       anypoint_episodes AS number, 0 AS percent_base FROM cin
UNION ALL SELECT year, la, 'Children in Need at any point during the year', anypoint_child, 0 FROM cin
UNION ALL SELECT year, la, 'Episodes of need starting in the year', started_episodes, 0 FROM cin
UNION ALL SELECT year, la, 'Children starting an episode of need in the year', started_child, 0 FROM cin
UNION ALL SELECT year, la, 'Episodes of need ending in the year', ended_episodes, 0 FROM cin
UNION ALL SELECT year, la, 'Children ending an episode of need in the year', ended_child, 0 FROM cin
UNION ALL SELECT year, la, 'Children in Need at 31 March', at31, 0 FROM cin
UNION ALL SELECT year, la, 'Children awaiting assessment or assessment not required at 31 March',
                 awaiting, at31 FROM cin
UNION ALL SELECT year, la, 'Referrals in the year', referrals, 0 FROM ref
UNION ALL SELECT year, la, 'Re-referrals within 12 months of a previous referral', re_referrals, referrals FROM ref
UNION ALL SELECT year, la, 'Referral - No Further Action', nfa, referrals FROM ref
UNION ALL SELECT year, la, 'Referral - Assessed as not in Need', not_in_need, referrals FROM ref
UNION ALL SELECT year, la, 'Children referred in the year', referrals_child, 0 FROM ref
UNION ALL SELECT year, la, 'Children re-referred within 12 months of a previous referral',
                 re_referrals_child, referrals_child FROM ref
UNION ALL SELECT year, la, 'Assessments completed in the year', n, 0 FROM assessed
