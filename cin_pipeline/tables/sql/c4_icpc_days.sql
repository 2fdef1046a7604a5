-- C4 distribution: working days from S47 start to ICPC, one row per ICPC held in the year
-- (the observations behind Duration_25th_Percentile / Duration_median / Duration_75th_Percentile).
SELECT year, la, cin_working_days(start_date, icpc_date) AS value
FROM clean.section47
WHERE icpc_date BETWEEN make_date(year - 1, 4, 1) AND make_date(year, 3, 31)
  AND start_date IS NOT NULL AND icpc_date >= start_date
