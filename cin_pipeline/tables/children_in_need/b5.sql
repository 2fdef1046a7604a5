-- B5 episodes of need ending in the year (facts.episode_of_need, ended) by calendar months from
-- the referral date back from the closure date: <= 3 months; > 3 and <= 6 months; > 6 months
-- and < 1 year; >= 1 year and < 2 years; >= 2 years (the bands of D5, from the closure date).
SELECT year, la,
       count(*) AS Ended_episodes,
       count(*) FILTER (WHERE band = 1) AS "3_months_or_less",
       count(*) FILTER (WHERE band = 2) AS more_than_3_months_6_months,
       count(*) FILTER (WHERE band = 3) AS more_than_6_months_less_than_1_year,
       count(*) FILTER (WHERE band = 4) AS "1_year_less_than_2_years",
       count(*) FILTER (WHERE band = 5) AS "2years+"
FROM (SELECT *, facts.duration_band(referral_date, closure_date) AS band FROM facts.episode_of_need WHERE ended)
GROUP BY ALL
