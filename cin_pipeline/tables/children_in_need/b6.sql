-- B6 episodes of need ending in the year by reason for closure, long: year, LA, part, n =
-- episodes of need ended in the year (as B1 Ended_episodes) with that reason in the year's return
-- (a closed episode always has a reason: rule 8805).
SELECT e.year, e.la, p.part, count(*) AS n
FROM facts.episode_of_need e JOIN {{parts}} p ON p.code = e.reason_for_closure
WHERE e.ended
GROUP BY ALL
UNION ALL
SELECT year, la, 'Ended_episodes', count(*)
FROM facts.episode_of_need WHERE ended
GROUP BY ALL
