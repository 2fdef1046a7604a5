-- C1 Referrals and re-referrals (one row per reporting year and LA, unrounded).
-- Source: lcd.referral = every referral (CINdetails with a referral date) once, deduplicated
-- across the returns it appears in; year = reporting year of the referral date; counted for the
-- LA and year of the return that holds it: only referrals in their own year's return
-- (referral_in_return.sql).
-- Re-referral = referral within 12 months of the child's previous referral in the same LA
-- (LCD rereferral_12m; the look-back crosses 1 April into the previous census).
-- NFA = ReferralNFA. Not in need = as the year's own return shows it: the referral's episode is
-- closed by 31 March with RC8/RC9 after an assessment (an assessment still open at 31 March, or a
-- closure in the following year, is not yet "assessed not in need" for that year's figures).
WITH ref AS ({{referral_in_return}}),
nin AS (
    SELECT DISTINCT e.year, e.la, e.child_id, e.referral_date
    FROM clean.episode AS e
    SEMI JOIN clean.assessment AS a
        ON a.year = e.year AND a.la = e.la AND a.child_id = e.child_id AND a.episode_seq = e.episode_seq
    WHERE NOT e.referral_nfa AND e.closure_date IS NOT NULL AND e.reason_for_closure IN ('RC8', 'RC9')
),
r AS (
    SELECT year, la,
           count(*)                                                 AS Referrals,
           count(*) FILTER (WHERE rereferral_12m)                   AS Re_referrals,
           count(*) FILTER (WHERE referral_nfa)                     AS No_Further_Action,
           count(*) FILTER (WHERE nin.la IS NOT NULL)               AS Not_in_Need,
           count(DISTINCT child_id)                                 AS Referrals_child,
           count(DISTINCT child_id) FILTER (WHERE rereferral_12m)   AS Re_referrals_child
    FROM ref LEFT JOIN nin USING (year, la, child_id, referral_date)
    GROUP BY ALL
),
las AS (SELECT DISTINCT year, la FROM clean.header UNION SELECT DISTINCT year, la FROM r)
SELECT las.year, las.la,
       coalesce(Referrals, 0) AS Referrals, coalesce(Re_referrals, 0) AS Re_referrals,
       coalesce(No_Further_Action, 0) AS No_Further_Action, coalesce(Not_in_Need, 0) AS Not_in_Need,
       coalesce(Referrals_child, 0) AS Referrals_child,
       coalesce(Re_referrals_child, 0) AS Re_referrals_child
FROM las LEFT JOIN r USING (year, la)
