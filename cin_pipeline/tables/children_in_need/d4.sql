-- D4 child protection plans open at 31 March (facts.cpp, open_at31) by initial category of abuse
-- (at the start of the plan) and latest category (at 31 March), as the year's return records
-- them. Validation (8905/8910) leaves only NEG/PHY/SAB/EMO/MUL in clean.
SELECT year, la,
       count(*) AS CPP_At31,
       count(*) FILTER (WHERE initial_category = 'NEG') AS Neglect_Initial,
       count(*) FILTER (WHERE initial_category = 'PHY') AS Physical_abuse_Initial,
       count(*) FILTER (WHERE initial_category = 'SAB') AS Sexual_abuse_Initial,
       count(*) FILTER (WHERE initial_category = 'EMO') AS Emotional_abuse_Initial,
       count(*) FILTER (WHERE initial_category = 'MUL') AS Multiple_Initial,
       count(*) FILTER (WHERE latest_category = 'NEG')  AS Neglect_Latest,
       count(*) FILTER (WHERE latest_category = 'PHY')  AS Physical_abuse_Latest,
       count(*) FILTER (WHERE latest_category = 'SAB')  AS Sexual_abuse_Latest,
       count(*) FILTER (WHERE latest_category = 'EMO')  AS Emotional_abuse_Latest,
       count(*) FILTER (WHERE latest_category = 'MUL')  AS Multiple_Latest
FROM facts.cpp
WHERE open_at31
GROUP BY ALL
