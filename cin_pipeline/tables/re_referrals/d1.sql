-- D1 referrals by assessment factor group and referral type (facts.referral_factor_group).
-- Helper referrals_with_factor = referrals of that type with at least one published factor
-- group (the caseshare denominator; referrals with no factors identified are excluded).
WITH base AS (
    SELECT year, la, referral_type, count(*) AS referrals_with_factor
    FROM facts.referral_factor_group WHERE first_group GROUP BY ALL
)
SELECT rf.year, rf.la, rf.factor_group AS assessmentfactor, rf.referral_type,
       count(*) AS referrals, any_value(base.referrals_with_factor) AS referrals_with_factor
FROM facts.referral_factor_group rf JOIN base USING (year, la, referral_type)
GROUP BY ALL
