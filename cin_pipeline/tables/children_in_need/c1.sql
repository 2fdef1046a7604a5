-- C1 referrals and re-referrals: one row per year and LA with referrals in their own year's
-- return (facts.referral). Not in need = as the year's own return shows it: the referral's
-- episode closed by 31 March with RC8/RC9 after an assessment (facts.episode). Children
-- referred and re-referred: facts.child_year (each child once).
WITH nin AS (
    SELECT DISTINCT year, la, child_id, referral_date
    FROM facts.episode WHERE closed_after_assessment_rc8_rc9
),
referrals AS (
    SELECT year, la,
           count(*)                                    AS Referrals,
           count(*) FILTER (WHERE rereferral_12m)      AS Re_referrals,
           count(*) FILTER (WHERE referral_nfa)        AS No_Further_Action,
           count(*) FILTER (WHERE nin.la IS NOT NULL)  AS Not_in_Need
    FROM facts.referral LEFT JOIN nin USING (year, la, child_id, referral_date)
    GROUP BY ALL
),
children AS (
    SELECT year, la,
           count(*)                                    AS Referrals_child,
           count(*) FILTER (WHERE rereferred_12m)      AS Re_referrals_child
    FROM facts.child_year WHERE referred
    GROUP BY ALL
)
SELECT year, la, Referrals, Re_referrals, No_Further_Action, Not_in_Need, Referrals_child,
       Re_referrals_child
FROM referrals JOIN children USING (year, la)
