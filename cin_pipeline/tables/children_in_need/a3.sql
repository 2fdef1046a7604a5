-- A3 children in need at 31 March (facts.episode_of_need, open_at31, as B1 At31_episodes) by the
-- child's gender, unborn and age band at 31 March (facts.child_characteristic) and the primary
-- need recorded for the open episode (none recorded: N0, as B3).
SELECT e.year, e.la, h.characteristic, h.characteristic_type,
       count(*) AS CIN_At31,
       count(*) FILTER (WHERE coalesce(e.primary_need, 'N0') = 'N0') AS N0_Not_stated,
       count(*) FILTER (WHERE e.primary_need = 'N1') AS N1_Abuse_or_neglect,
       count(*) FILTER (WHERE e.primary_need = 'N2') AS N2_Childs_disability_or_illness,
       count(*) FILTER (WHERE e.primary_need = 'N3') AS N3_Parents_disability_or_illness,
       count(*) FILTER (WHERE e.primary_need = 'N4') AS N4_Family_in_acute_stress,
       count(*) FILTER (WHERE e.primary_need = 'N5') AS N5_Family_dysfunction,
       count(*) FILTER (WHERE e.primary_need = 'N6') AS N6_Socially_unacceptable_behaviour,
       count(*) FILTER (WHERE e.primary_need = 'N7') AS N7_Low_income,
       count(*) FILTER (WHERE e.primary_need = 'N8') AS N8_Absent_parenting,
       count(*) FILTER (WHERE e.primary_need = 'N9') AS N9_Cases_other_than_children_in_need
FROM facts.episode_of_need e
JOIN facts.child_characteristic h USING (year, la, child_id)
WHERE e.open_at31 AND h.characteristic IN ('Gender', 'Unborn', 'Age')
GROUP BY ALL
