-- D3 child protection plans starting in the year; second or subsequent = NumberOfPreviousCPP > 0.
SELECT year, la, count(*) AS CPP_start, count(*) FILTER (WHERE previous_plans > 0) AS CPP_subsequent
FROM facts.cpp WHERE started_in_year
GROUP BY ALL
