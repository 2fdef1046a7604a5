-- B3 children in need at 31 March by primary need, long: year, LA, part, n = episodes of need
-- open at 31 March (as B1 At31_episodes) with that primary need in the year's return; an episode
-- with no primary need recorded (possible only when ReferralNFA is missing) counts as N0.
SELECT e.year, e.la, p.part, count(*) AS n
FROM facts.episode_of_need e JOIN {{parts}} p ON p.code = coalesce(e.primary_need, 'N0')
WHERE e.open_at31
GROUP BY ALL
UNION ALL
SELECT year, la, 'At31_episodes', count(*)
FROM facts.episode_of_need WHERE open_at31
GROUP BY ALL
