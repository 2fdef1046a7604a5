-- D5 child protection plans open at 31 March by calendar months since the plan started:
-- <= 3 months; > 3 and <= 6 months; > 6 months and < 1 year; >= 1 year and < 2 years; >= 2 years.
SELECT year, la,
       count(*) AS CPP_At31,
       count(*) FILTER (WHERE start_date >= year_end - INTERVAL 3 MONTH) AS "3_months_or_less",
       count(*) FILTER (WHERE start_date <  year_end - INTERVAL 3 MONTH
                          AND start_date >= year_end - INTERVAL 6 MONTH) AS more_than_3_months_6_months,
       count(*) FILTER (WHERE start_date <  year_end - INTERVAL 6 MONTH
                          AND start_date >  year_end - INTERVAL 1 YEAR)  AS more_than_6_months_less_than_1_year,
       count(*) FILTER (WHERE start_date <= year_end - INTERVAL 1 YEAR
                          AND start_date >  year_end - INTERVAL 2 YEAR)  AS "1_year_less_than_2_years",
       count(*) FILTER (WHERE start_date <= year_end - INTERVAL 2 YEAR)  AS "2_years_or_more"
FROM facts.cpp WHERE open_at31
GROUP BY ALL
