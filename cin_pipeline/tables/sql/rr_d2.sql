-- Re-referrals D2 Re-referral rate by assessment factor (year, LA, factor group).
-- total_referrals_byAF = referrals with the factor group recorded at assessment;
-- re_referrals = those that were re-referrals (within 12 months of a previous referral).
-- Referrals counted: those in their LA's return for their own year (referral_in_return.sql).
WITH fg AS ({{rr_factor_groups}}),
ref AS ({{referral_in_return}}),
rf AS (
    SELECT DISTINCT r.year, r.la, r.child_id, r.referral_date, r.rereferral_12m, fg.assessmentfactor
    FROM ref r
    JOIN lcd.referral_factor f USING (la, child_id, referral_date)
    JOIN fg ON fg.factor = f.factor
)
SELECT year, la, assessmentfactor,
       count(*) FILTER (WHERE rereferral_12m) AS re_referrals,
       count(*) AS total_referrals_byAF
FROM rf GROUP BY ALL
