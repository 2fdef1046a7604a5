-- C1 Referrals and re-referrals (one row per reporting year and LA, unrounded).
-- Source: lcd.referral = every referral (CINdetails with a referral date) once, deduplicated
-- across the returns it appears in; year = reporting year of the referral date; counted for the
-- LA and year of the return that holds it: only referrals in their own year's return
-- (referral_in_return.sql).
-- Re-referral = referral within 12 months of the child's previous referral in the same LA
-- (LCD rereferral_12m; the look-back crosses 1 April into the previous census).
-- NFA = ReferralNFA; not in need = assessed and closed as not in need (LCD assessed_not_in_need).
WITH ref AS ({{referral_in_return}}),
r AS (
    SELECT year, la,
           count(*)                                                 AS Referrals,
           count(*) FILTER (WHERE rereferral_12m)                   AS Re_referrals,
           count(*) FILTER (WHERE referral_nfa)                     AS No_Further_Action,
           count(*) FILTER (WHERE assessed_not_in_need)             AS Not_in_Need,
           count(DISTINCT child_id)                                 AS Referrals_child,
           count(DISTINCT child_id) FILTER (WHERE rereferral_12m)   AS Re_referrals_child
    FROM ref
    GROUP BY ALL
),
las AS (SELECT DISTINCT year, la FROM clean.header UNION SELECT DISTINCT year, la FROM r)
SELECT las.year, las.la,
       coalesce(Referrals, 0) AS Referrals, coalesce(Re_referrals, 0) AS Re_referrals,
       coalesce(No_Further_Action, 0) AS No_Further_Action, coalesce(Not_in_Need, 0) AS Not_in_Need,
       coalesce(Referrals_child, 0) AS Referrals_child,
       coalesce(Re_referrals_child, 0) AS Re_referrals_child
FROM las LEFT JOIN r USING (year, la)
