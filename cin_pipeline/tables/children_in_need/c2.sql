-- C2 assessments completed in the year (facts.assessment: authorised from 1 April to 31 March,
-- authorisation not before the start, rule 8608) by working days from the start date to the
-- authorisation date (facts.working_days: Monday-Friday less England and Wales bank holidays,
-- days after the start up to and including the authorisation). Every assessment falls in exactly
-- one band.
SELECT year, la,
       count(*)                                                  AS Assessments_completed,
       count(*) FILTER (WHERE working_days = 0)                  AS Same_day,
       count(*) FILTER (WHERE working_days BETWEEN 1 AND 10)     AS "1-10_days",
       count(*) FILTER (WHERE working_days BETWEEN 11 AND 20)    AS "11-20_days",
       count(*) FILTER (WHERE working_days BETWEEN 21 AND 30)    AS "21-30_days",
       count(*) FILTER (WHERE working_days BETWEEN 31 AND 40)    AS "31-40_days",
       count(*) FILTER (WHERE working_days BETWEEN 41 AND 45)    AS "41-45_days",
       count(*) FILTER (WHERE working_days BETWEEN 46 AND 50)    AS "46-50_days",
       count(*) FILTER (WHERE working_days BETWEEN 51 AND 60)    AS "51-60_days",
       count(*) FILTER (WHERE working_days >= 61)                AS "61+_days"
FROM facts.assessment
WHERE completed_in_year AND working_days IS NOT NULL
GROUP BY ALL
