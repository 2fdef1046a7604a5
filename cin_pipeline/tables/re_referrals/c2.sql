-- C2 referrals (facts.referral_school_census: facts.referral linked by UPN to the school census of
-- the same year) by SEN provision ('Not matched' its own group) and 12-month re-referral.
SELECT year, la, sen_provision,
       re_referral,
       count(*) AS referrals
FROM facts.referral_school_census
GROUP BY ALL
