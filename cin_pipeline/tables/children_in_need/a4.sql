-- A4 children in need at 31 March (facts.episode_of_need, open_at31, as B1 At31_episodes) by the
-- child's gender, unborn or age band at 31 March (facts.child_characteristic, in A4's one filter
-- and its spelling of unknown gender) and major ethnic group (its ethnic_group, facts.child's).
SELECT e.year, e.la,
       CASE WHEN h.characteristic_type = 'Unknown/Indeterminate gender'
            THEN 'Unknown or Indeterminate gender' ELSE h.characteristic_type END AS characteristic,
       count(*) AS CIN_At31,
       count(*) FILTER (WHERE h.ethnic_group <> 'Unknown') AS Ethnicity_Known,
       count(*) FILTER (WHERE h.ethnic_group = 'White') AS Ethnicity_White,
       count(*) FILTER (WHERE h.ethnic_group = 'Mixed') AS Ethnicity_Mixed,
       count(*) FILTER (WHERE h.ethnic_group = 'Asian or Asian British') AS Ethnicity_Asian_or_Asian_British,
       count(*) FILTER (WHERE h.ethnic_group = 'Black or Black British') AS Ethnicity_Black_or_Black_British,
       count(*) FILTER (WHERE h.ethnic_group = 'Other ethnic groups') AS Ethnicity_Other_ethnic_groups
FROM facts.episode_of_need e
JOIN facts.child_characteristic h USING (year, la, child_id)
WHERE e.open_at31 AND h.characteristic IN ('Gender', 'Unborn', 'Age')
GROUP BY ALL
