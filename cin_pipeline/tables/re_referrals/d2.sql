-- D2 referrals with each assessment factor group (facts.referral_factor_group) and those that
-- were re-referrals within 12 months of a previous referral.
SELECT year, la, factor_group AS assessmentfactor,
       count(*) FILTER (WHERE rereferral_12m) AS re_referrals,
       count(*) AS total_referrals_byAF
FROM facts.referral_factor_group
GROUP BY ALL
