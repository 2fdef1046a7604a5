-- D3 Child protection plans starting in the year, second or subsequent (year, LA, unrounded).
-- Source: each year's own return. Second or subsequent = NumberOfPreviousCPP > 0.
WITH agg AS (
    SELECT year, la,
           count(*) AS CPP_start,
           count(*) FILTER (WHERE coalesce(number_of_previous_cpp, 0) > 0) AS CPP_subsequent
    FROM clean.cpp
    WHERE start_date BETWEEN make_date(year - 1, 4, 1) AND make_date(year, 3, 31)
    GROUP BY ALL
),
las AS (SELECT DISTINCT year, la FROM clean.header)
SELECT las.year, las.la, coalesce(CPP_start, 0) AS CPP_start,
       coalesce(CPP_subsequent, 0) AS CPP_subsequent
FROM las LEFT JOIN agg USING (year, la)
