-- B2 children in need at 31 March by recorded disability, long: year, LA, part, n.
-- At31_episodes = episodes of need open at 31 March (as B1); At31_episodes_disability_recorded =
-- those whose child has a disability other than NONE in the year's return (facts.child.disabled);
-- n_<type> = those whose child has that disability (facts.child_disability; a child may have
-- several, so the types do not add up).
WITH at31 AS (
    SELECT year, la, child_id FROM facts.episode_of_need WHERE open_at31
)
SELECT year, la, 'At31_episodes' AS part, count(*) AS n
FROM at31 GROUP BY ALL
UNION ALL
SELECT a.year, a.la, 'At31_episodes_disability_recorded', count(*)
FROM at31 a JOIN facts.child c USING (year, la, child_id)
WHERE c.disabled GROUP BY ALL
UNION ALL
SELECT a.year, a.la, p.part, count(*)
FROM at31 a
JOIN facts.child_disability d USING (year, la, child_id)
JOIN {{parts}} p ON p.code = d.disability
GROUP BY ALL
