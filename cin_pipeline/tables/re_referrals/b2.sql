-- B2 referrals (facts.referral_child) by the child's gender at 31 March (unborn children their own
-- group, as facts.child_characteristic) and 12-month re-referral.
SELECT year, la,
       CASE WHEN age_band = 'Unborn' THEN 'Unborn' WHEN sex = 'F' THEN 'Female' WHEN sex = 'M' THEN 'Male'
            ELSE 'Unknown/Indeterminate gender' END AS gender,
       CASE WHEN rereferral_12m THEN 'Re-referral' ELSE 'Not a re-referral' END AS re_referral,
       count(*) AS referrals
FROM facts.referral_child
GROUP BY ALL
