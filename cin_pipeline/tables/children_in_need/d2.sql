-- D2 child protection plans starting in the year (facts.cpp, started_in_year) by initial category
-- of abuse (at the start of the plan) and latest category (at its end, or at 31 March if open), as
-- the year's return records them. Validation (8905/8910) leaves only NEG/PHY/SAB/EMO/MUL in clean.
SELECT year, la,
       count(*) AS CPP_start,
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
WHERE started_in_year
GROUP BY ALL
