-- C4 section 47 enquiries starting in the year and ICPCs held in the year, with the ICPCs by
-- working days from the start of the section 47 (an unknown duration counts as 0-10 days, so
-- the four bands add up to ICPC).
WITH s47 AS (
    SELECT year, la, count(*) AS Section47, count(DISTINCT child_id) AS Section47_child
    FROM facts.section47 WHERE started_in_year GROUP BY ALL
),
icpc AS (
    SELECT year, la,
           count(*)                                           AS ICPC,
           count(DISTINCT child_id)                           AS ICPC_child,
           count(*) FILTER (WHERE coalesce(working_days, 0) <= 10) AS "Duration_0-10_days",
           count(*) FILTER (WHERE working_days BETWEEN 11 AND 15)  AS "Duration_11-15_days",
           count(*) FILTER (WHERE working_days BETWEEN 16 AND 20)  AS "Duration_16-20_days",
           count(*) FILTER (WHERE working_days >= 21)              AS "Duration_21+_days"
    FROM facts.icpc GROUP BY ALL
)
SELECT * FROM s47 FULL JOIN icpc USING (year, la)
