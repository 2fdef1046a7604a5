-- D5 child protection plans open at 31 March by calendar months since the plan started:
-- <= 3 months; > 3 and <= 6 months; > 6 months and < 1 year; >= 1 year and < 2 years; >= 2 years.
SELECT year, la,
       count(*) AS CPP_At31,
       count(*) FILTER (WHERE band = 1) AS "3_months_or_less",
       count(*) FILTER (WHERE band = 2) AS more_than_3_months_6_months,
       count(*) FILTER (WHERE band = 3) AS more_than_6_months_less_than_1_year,
       count(*) FILTER (WHERE band = 4) AS "1_year_less_than_2_years",
       count(*) FILTER (WHERE band = 5) AS "2_years_or_more"
FROM (SELECT *, facts.duration_band(start_date, year_end) AS band FROM facts.cpp WHERE open_at31)
GROUP BY ALL
