-- Re-referrals E1 Referrals by highest level of intervention reached and referral type
-- (year, LA, level, type). Levels from lcd.referral.highest_level_label; the published file
-- spells level 1 "1. No futher action" (sic) and the label is kept as published.
-- Referrals counted: those in their LA's return for their own year (referral_in_return.sql).
WITH ref AS ({{referral_in_return}})
SELECT year, la,
       CASE WHEN highest_level = 1 THEN '1. No futher action' ELSE highest_level_label END
           AS level_description,
       referral_type,
       count(*) AS referrals
FROM ref
GROUP BY ALL
