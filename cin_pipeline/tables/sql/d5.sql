-- D5 Child protection plans open at 31 March by time since the plan started (year, LA, unrounded).
-- Open at 31 March = start date on or before 31 March and no end date or an end date after it.
-- Bands by calendar months back from 31 March: <= 3 months; > 3 and <= 6 months;
-- > 6 months and < 1 year; >= 1 year and < 2 years; >= 2 years.
WITH open31 AS (
    SELECT year, la, start_date, make_date(year, 3, 31) AS d31
    FROM clean.cpp
    WHERE start_date <= make_date(year, 3, 31)
      AND (end_date IS NULL OR end_date > make_date(year, 3, 31))
),
agg AS (
    SELECT year, la,
           count(*) AS CPP_At31,
           count(*) FILTER (WHERE start_date >= d31 - INTERVAL 3 MONTH) AS "3_months_or_less",
           count(*) FILTER (WHERE start_date <  d31 - INTERVAL 3 MONTH
                              AND start_date >= d31 - INTERVAL 6 MONTH) AS more_than_3_months_6_months,
           count(*) FILTER (WHERE start_date <  d31 - INTERVAL 6 MONTH
                              AND start_date >  d31 - INTERVAL 1 YEAR)  AS more_than_6_months_less_than_1_year,
           count(*) FILTER (WHERE start_date <= d31 - INTERVAL 1 YEAR
                              AND start_date >  d31 - INTERVAL 2 YEAR)  AS "1_year_less_than_2_years",
           count(*) FILTER (WHERE start_date <= d31 - INTERVAL 2 YEAR)  AS "2_years_or_more"
    FROM open31
    GROUP BY ALL
),
las AS (SELECT DISTINCT year, la FROM clean.header)
SELECT las.year, las.la, coalesce(CPP_At31, 0) AS CPP_At31,
       coalesce("3_months_or_less", 0) AS "3_months_or_less",
       coalesce(more_than_3_months_6_months, 0) AS more_than_3_months_6_months,
       coalesce(more_than_6_months_less_than_1_year, 0) AS more_than_6_months_less_than_1_year,
       coalesce("1_year_less_than_2_years", 0) AS "1_year_less_than_2_years",
       coalesce("2_years_or_more", 0) AS "2_years_or_more"
FROM las LEFT JOIN agg USING (year, la)
