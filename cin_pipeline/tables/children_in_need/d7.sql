-- D7 child protection plans ending in the year (facts.cpp, ended_in_year) by the time from the
-- start date to the end date. Bands up to 1 year in calendar months back from the end date, as
-- D5 (from 31 March) and B5 (from the closure date): <= 3 months; > 3 and <= 6 months;
-- > 6 months and < 1 year. 2 years or more is DfE's LAIT definition for D7 (CPPlans2yrs,
-- CPRDuration): "more than 729 calendar days including days of cessation", i.e. days_open
-- (end date minus start date) > 729. 1 year and less than 2 years: the rest (>= 1 calendar
-- year and <= 729 days). Every plan falls in exactly one band (start <= end, rule 8925).
SELECT year, la,
       count(*) AS CPP_End,
       count(*) FILTER (WHERE start_date >= end_date - INTERVAL 3 MONTH) AS "3_months_or_less",
       count(*) FILTER (WHERE start_date <  end_date - INTERVAL 3 MONTH
                          AND start_date >= end_date - INTERVAL 6 MONTH) AS more_than_3_months_6_months,
       count(*) FILTER (WHERE start_date <  end_date - INTERVAL 6 MONTH
                          AND start_date >  end_date - INTERVAL 1 YEAR)  AS more_than_6_months_less_than_1_year,
       count(*) FILTER (WHERE start_date <= end_date - INTERVAL 1 YEAR
                          AND days_open <= 729)                          AS "1_year_less_than_2_years",
       count(*) FILTER (WHERE days_open > 729)                           AS "2_years_or_more"
FROM facts.cpp
WHERE ended_in_year
GROUP BY ALL
