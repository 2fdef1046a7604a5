-- A6 child protection plans open at 31 March (facts.cpp, open_at31) by initial category of abuse,
-- as D4 counts them (validation leaves only NEG/PHY/SAB/EMO/MUL in clean).
SELECT year, la,
       count(*) AS CPP_At31,
       count(*) FILTER (WHERE initial_category = 'NEG') AS Neglect_Initial,
       count(*) FILTER (WHERE initial_category = 'PHY') AS Physical_abuse_Initial,
       count(*) FILTER (WHERE initial_category = 'SAB') AS Sexual_abuse_Initial,
       count(*) FILTER (WHERE initial_category = 'EMO') AS Emotional_abuse_Initial,
       count(*) FILTER (WHERE initial_category = 'MUL') AS Multiple_Initial
FROM facts.cpp
WHERE open_at31
GROUP BY ALL
