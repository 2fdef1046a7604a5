-- B1 children in need and episodes of need: one row per year and LA with episodes of need.
-- Episodes from facts.episode_of_need; children from facts.child_year (each child once), where
-- Awaiting_assessment is a child in need at 31 March whose open episode has had no assessment
-- started by then, in this or any earlier return.
WITH episodes AS (
    SELECT year, la,
           count(*) FILTER (WHERE anypoint)   AS Anypoint_episodes,
           count(*) FILTER (WHERE started)    AS Started_episodes,
           count(*) FILTER (WHERE ended)      AS Ended_episodes,
           count(*) FILTER (WHERE open_at31)  AS At31_episodes
    FROM facts.episode_of_need
    GROUP BY ALL
),
children AS (
    SELECT year, la,
           count(*) FILTER (WHERE in_need_anypoint)                AS Anypoint_child,
           count(*) FILTER (WHERE started_need)                    AS Started_child,
           count(*) FILTER (WHERE ended_need)                      AS Ended_child,
           count(*) FILTER (WHERE awaiting_assessment)             AS Awaiting_assessment
    FROM facts.child_year WHERE of_need
    GROUP BY ALL
)
SELECT year, la, Anypoint_episodes, Anypoint_child, Started_episodes, Started_child,
       Ended_episodes, Ended_child, At31_episodes, Awaiting_assessment
FROM episodes JOIN children USING (year, la)
