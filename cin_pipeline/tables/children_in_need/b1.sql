-- B1 children in need and episodes of need: one row per year and LA with episodes of need.
-- Awaiting_assessment: children in need at 31 March whose open episode has no assessment
-- started by then.
WITH awaiting AS (
    SELECT e.year, e.la, count(DISTINCT e.child_id) AS Awaiting_assessment
    FROM facts.episode_of_need e
    ANTI JOIN (SELECT DISTINCT year, la, child_id, episode_seq FROM facts.assessment
               WHERE started_by_31march) a
        USING (year, la, child_id, episode_seq)
    WHERE e.open_at31
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
