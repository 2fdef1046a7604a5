-- E1 referrals (facts.referral) by the highest level of intervention reached and referral type.
-- The published file spells level 1 "1. No futher action" (sic); the label is kept as published.
SELECT year, la,
       CASE WHEN highest_level = 1 THEN '1. No futher action' ELSE highest_level_label END
           AS level_description,
       referral_type,
       count(*) AS referrals
FROM facts.referral
GROUP BY ALL
