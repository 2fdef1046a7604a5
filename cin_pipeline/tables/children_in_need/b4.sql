-- B4 children in need at 31 March (facts.episode_of_need, open_at31) by calendar months from the
-- referral date back from 31 March: <= 3 months; > 3 and <= 6 months; > 6 months and < 1 year;
-- >= 1 year and < 2 years; >= 2 years (the bands of B5, from the closure date, and D5).
SELECT year, la,
       count(*) AS At31_episodes,
       count(*) FILTER (WHERE referral_date >= year_end - INTERVAL 3 MONTH) AS "3_months_or_less",
       count(*) FILTER (WHERE referral_date <  year_end - INTERVAL 3 MONTH
                          AND referral_date >= year_end - INTERVAL 6 MONTH) AS more_than_3_months_6_months,
       count(*) FILTER (WHERE referral_date <  year_end - INTERVAL 6 MONTH
                          AND referral_date >  year_end - INTERVAL 1 YEAR)  AS more_than_6_months_less_than_1_year,
       count(*) FILTER (WHERE referral_date <= year_end - INTERVAL 1 YEAR
                          AND referral_date >  year_end - INTERVAL 2 YEAR)  AS "1_year_less_than_2_years",
       count(*) FILTER (WHERE referral_date <= year_end - INTERVAL 2 YEAR)  AS "2years+"
FROM facts.episode_of_need
WHERE open_at31
GROUP BY ALL
