-- B1 Children in need and episodes of need (one row per reporting year and LA, unrounded).
-- Source: each year's own census return (clean.episode where year = Y), so nothing is counted twice.
-- Episode of need (same rule as lcd.referral / lcd.episode): a CINdetails episode that is not a
-- referral with no further action (ReferralNFA) and is not "assessed as not in need" (assessed,
-- closed with RC8 or RC9 (2023+), and no CIN plan, section 47 or child protection plan).
-- Census year Y runs from 1 April Y-1 to 31 March Y.
WITH assessed AS (SELECT DISTINCT year, la, child_id, episode_seq FROM clean.assessment),
beyond AS (
    SELECT DISTINCT year, la, child_id, episode_seq FROM (
        SELECT year, la, child_id, episode_seq FROM clean.cin_plan
        UNION ALL SELECT year, la, child_id, episode_seq FROM clean.section47
        UNION ALL SELECT year, la, child_id, episode_seq FROM clean.cpp)
),
ep AS (
    SELECT e.year, e.la, e.child_id, e.episode_seq, e.referral_date, e.closure_date,
           make_date(e.year - 1, 4, 1) AS y_start, make_date(e.year, 3, 31) AS y_end,
           coalesce(e.referral_nfa, false) AS nfa,
           (coalesce(e.reason_for_closure, '') IN ('RC8', 'RC9')
            AND a.child_id IS NOT NULL AND b.child_id IS NULL) AS not_in_need
    FROM clean.episode e
    LEFT JOIN assessed a USING (year, la, child_id, episode_seq)
    LEFT JOIN beyond b USING (year, la, child_id, episode_seq)
    WHERE e.referral_date IS NOT NULL
),
need AS (
    SELECT *,
           referral_date <= y_end AND (closure_date IS NULL OR closure_date >= y_start) AS anypoint,
           referral_date BETWEEN y_start AND y_end AS started,
           closure_date BETWEEN y_start AND y_end AND referral_date <= y_end AS ended,
           referral_date <= y_end AND (closure_date IS NULL OR closure_date > y_end) AS at31
    FROM ep
    WHERE NOT nfa AND NOT not_in_need
),
started_assessment AS (   -- episodes with an assessment started by 31 March
    SELECT DISTINCT a.year, a.la, a.child_id, a.episode_seq
    FROM clean.assessment a
    WHERE a.start_date IS NOT NULL AND a.start_date <= make_date(a.year, 3, 31)
),
awaiting AS (   -- children in need at 31 March whose open episode has no assessment started yet
    SELECT need.year, need.la, count(DISTINCT need.child_id) AS n
    FROM need
    LEFT JOIN started_assessment sa USING (year, la, child_id, episode_seq)
    WHERE need.at31 AND sa.child_id IS NULL
    GROUP BY ALL
),
agg AS (
    SELECT year, la,
           count(*) FILTER (WHERE anypoint)                  AS Anypoint_episodes,
           count(DISTINCT child_id) FILTER (WHERE anypoint)  AS Anypoint_child,
           count(*) FILTER (WHERE started)                   AS Started_episodes,
           count(DISTINCT child_id) FILTER (WHERE started)   AS Started_child,
           count(*) FILTER (WHERE ended)                     AS Ended_episodes,
           count(DISTINCT child_id) FILTER (WHERE ended)     AS Ended_child,
           count(*) FILTER (WHERE at31)                      AS At31_episodes
    FROM need
    GROUP BY ALL
),
las AS (SELECT DISTINCT year, la FROM clean.header)
SELECT las.year, las.la,
       coalesce(agg.Anypoint_episodes, 0) AS Anypoint_episodes,
       coalesce(agg.Anypoint_child, 0)    AS Anypoint_child,
       coalesce(agg.Started_episodes, 0)  AS Started_episodes,
       coalesce(agg.Started_child, 0)     AS Started_child,
       coalesce(agg.Ended_episodes, 0)    AS Ended_episodes,
       coalesce(agg.Ended_child, 0)       AS Ended_child,
       coalesce(agg.At31_episodes, 0)     AS At31_episodes,
       coalesce(awaiting.n, 0)            AS Awaiting_assessment
FROM las
LEFT JOIN agg USING (year, la)
LEFT JOIN awaiting USING (year, la)
