-- C4 Section 47 enquiries and initial child protection conferences (year, LA, unrounded).
-- Source: each year's own return. S47 = Section47 module with a start date in the year;
-- ICPC = Section47 module whose DateOfInitialCPC falls in the year. Duration bands count those
-- ICPCs by working days from S47 start to ICPC (cin_working_days: Monday-Friday, bank holidays
-- NOT excluded), so the four bands add up to ICPC.
WITH s AS (
    SELECT year, la, child_id, start_date, icpc_date,
           start_date BETWEEN make_date(year - 1, 4, 1) AND make_date(year, 3, 31) AS s47_in_year,
           icpc_date  BETWEEN make_date(year - 1, 4, 1) AND make_date(year, 3, 31) AS icpc_in_year
    FROM clean.section47
),
d AS (
    SELECT *, CASE WHEN icpc_in_year AND start_date IS NOT NULL AND icpc_date >= start_date
                   THEN cin_working_days(start_date, icpc_date) END AS wd
    FROM s
),
agg AS (
    SELECT year, la,
           count(*) FILTER (WHERE s47_in_year)                    AS Section47,
           count(DISTINCT child_id) FILTER (WHERE s47_in_year)    AS Section47_child,
           count(*) FILTER (WHERE icpc_in_year)                   AS ICPC,
           count(DISTINCT child_id) FILTER (WHERE icpc_in_year)   AS ICPC_child,
           count(*) FILTER (WHERE icpc_in_year AND coalesce(wd, 0) <= 10)      AS "Duration_0-10_days",
           count(*) FILTER (WHERE icpc_in_year AND wd BETWEEN 11 AND 15)       AS "Duration_11-15_days",
           count(*) FILTER (WHERE icpc_in_year AND wd BETWEEN 16 AND 20)       AS "Duration_16-20_days",
           count(*) FILTER (WHERE icpc_in_year AND wd >= 21)                   AS "Duration_21+_days"
    FROM d
    GROUP BY ALL
),
las AS (SELECT DISTINCT year, la FROM clean.header)
SELECT las.year, las.la,
       coalesce(Section47, 0) AS Section47, coalesce(Section47_child, 0) AS Section47_child,
       coalesce(ICPC, 0) AS ICPC, coalesce(ICPC_child, 0) AS ICPC_child,
       coalesce("Duration_0-10_days", 0) AS "Duration_0-10_days",
       coalesce("Duration_11-15_days", 0) AS "Duration_11-15_days",
       coalesce("Duration_16-20_days", 0) AS "Duration_16-20_days",
       coalesce("Duration_21+_days", 0) AS "Duration_21+_days"
FROM las LEFT JOIN agg USING (year, la)
