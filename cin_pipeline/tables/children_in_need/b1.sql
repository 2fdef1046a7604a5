-- B1 children in need and episodes of need: one row per year and LA with episodes of need.
-- Awaiting_assessment: children in need at 31 March whose open episode has had no assessment
-- started by then, in this or any earlier return (facts.referral_assessment); an episode open from
-- before the LA's staged returns is taken to have been assessed.
WITH awaiting AS (
    SELECT e.year, e.la, count(DISTINCT e.child_id) AS Awaiting_assessment
    FROM facts.episode_of_need e
    JOIN facts.referral_assessment h USING (la, child_id, referral_date)
    WHERE e.open_at31 AND h.history_complete
      AND coalesce(h.first_assessment_start > e.year_end, true)
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
           count(*) FILTER (WHERE open_at31)                 AS At31_episodes
    FROM facts.episode_of_need
    GROUP BY ALL
)
SELECT * FROM agg LEFT JOIN awaiting USING (year, la)
