-- C3 factors identified at the end of assessment, long: year, LA, part (published column), n =
-- episodes with an assessment completed in the year recording that factor
-- (facts.assessment_factor: one row per episode and factor). Episodes_with_assessment_factor =
-- episodes with any such factor. A part of one factor code counts its rows; only a part of
-- several codes (and the total) needs the distinct episodes, grouped once each.
WITH parts AS (
    SELECT code, part, count(*) OVER (PARTITION BY part) AS codes FROM {{parts}}
),
factor AS (
    SELECT f.year, f.la, f.child_id, f.episode_seq, p.part, p.codes
    FROM facts.assessment_factor f JOIN parts p ON p.code = f.factor
),
episode AS (
    SELECT year, la, child_id, episode_seq FROM facts.assessment_factor GROUP BY ALL
)
SELECT year, la, part, count(*) AS n FROM factor WHERE codes = 1 GROUP BY ALL
UNION ALL
SELECT year, la, part, count(*)
FROM (SELECT year, la, part, child_id, episode_seq FROM factor WHERE codes > 1 GROUP BY ALL)
GROUP BY ALL
UNION ALL
SELECT year, la, 'Episodes_with_assessment_factor', count(*) FROM episode GROUP BY ALL
