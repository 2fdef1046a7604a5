-- A5 child protection plans open at 31 March (facts.cpp, open_at31, as D4 CPP_At31: the children
-- subject to a plan at 31 March, one open plan each) by initial category of abuse and the child's
-- characteristics at 31 March (facts.child_characteristic: gender, unborn, age band, major
-- ethnic group).
SELECT c.year, c.la, h.characteristic, h.characteristic_type,
       count(*) AS CPP_At31,
       count(*) FILTER (WHERE c.initial_category = 'NEG') AS Neglect_Initial,
       count(*) FILTER (WHERE c.initial_category = 'PHY') AS Physical_Abuse_Initial,
       count(*) FILTER (WHERE c.initial_category = 'SAB') AS Sexual_Abuse_Initial,
       count(*) FILTER (WHERE c.initial_category = 'EMO') AS Emotional_Abuse_Initial,
       count(*) FILTER (WHERE c.initial_category = 'MUL') AS Multiple_Initial
FROM facts.cpp c
JOIN facts.child_characteristic h USING (year, la, child_id)
WHERE c.open_at31 AND h.characteristic IN ('Gender', 'Unborn', 'Age', 'Ethnicity major')
GROUP BY ALL
