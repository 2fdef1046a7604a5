-- C3 factors identified at the end of assessment, long: year, LA, part (published column), n =
-- episodes with an assessment completed in the year recording that factor
-- (facts.assessment_factor). Episodes_with_assessment_factor = episodes with any such factor.
SELECT f.year, f.la, p.part, count(DISTINCT (f.child_id, f.episode_seq)) AS n
FROM facts.assessment_factor f JOIN {{parts}} p ON p.code = f.factor
GROUP BY ALL
UNION ALL
SELECT year, la, 'Episodes_with_assessment_factor', count(DISTINCT (child_id, episode_seq))
FROM facts.assessment_factor
GROUP BY ALL
