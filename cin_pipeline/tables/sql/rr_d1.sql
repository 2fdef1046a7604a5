-- Re-referrals D1 Assessment factors associated with referrals (year, LA, factor group, referral
-- type). A referral counts once per factor group recorded at its assessment (lcd.referral_factor).
-- Helper referrals_with_factor = referrals of that type with at least one published factor
-- (the caseshare denominator; referrals with no factors identified are excluded).
-- Referrals counted: those in their LA's return for their own year (referral_in_return.sql).
WITH fg AS ({{rr_factor_groups}}),
ref AS ({{referral_in_return}}),
rf AS (
    SELECT DISTINCT r.year, r.la, r.child_id, r.referral_date, r.referral_type, fg.assessmentfactor
    FROM ref r
    JOIN lcd.referral_factor f USING (la, child_id, referral_date)
    JOIN fg ON fg.factor = f.factor
),
base AS (
    SELECT year, la, referral_type,
           count(DISTINCT child_id || '#' || referral_date) AS referrals_with_factor
    FROM rf GROUP BY ALL
)
SELECT rf.year, rf.la, rf.assessmentfactor, rf.referral_type,
       count(*) AS referrals, any_value(base.referrals_with_factor) AS referrals_with_factor
FROM rf JOIN base USING (year, la, referral_type)
GROUP BY ALL
