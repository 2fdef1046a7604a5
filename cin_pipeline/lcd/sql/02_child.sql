-- lcd.child: one row per child per LA over every staged year. Demographics come from the latest
-- return that has them (a child unborn in one return has a birth date in the next).
CREATE OR REPLACE TEMP TABLE _lcd_out_child AS
WITH d AS (
    SELECT la, child_id, bool_or(disability <> 'NONE') AS disabled
    FROM {src}.disability GROUP BY ALL
)
SELECT
    c.la, c.child_id,
    min(c.year) AS first_year,
    max(c.year) AS last_year,
    -- the distinct years as bits of one integer (years 2012 to 2025 are distinct mod 64): a
    -- count(DISTINCT) keeps a hash set per child and spilled on the national returns
    CAST(bit_count(bit_or(CAST(1 AS BIGINT) << (c.year % 64))) AS BIGINT) AS years_present,
    arg_max(c.birth_date, c.year) FILTER (WHERE c.birth_date IS NOT NULL) AS birth_date,
    arg_max(c.sex, c.year) FILTER (WHERE c.sex IS NOT NULL) AS sex,
    arg_max(c.ethnicity, c.year) FILTER (WHERE c.ethnicity IS NOT NULL) AS ethnicity,
    arg_max(c.upn, c.year) FILTER (WHERE c.upn IS NOT NULL) AS upn,
    coalesce(any_value(d.disabled), false) AS disabled
FROM {src}.child AS c
LEFT JOIN d USING (la, child_id)
GROUP BY c.la, c.child_id
ORDER BY c.la, c.child_id;
