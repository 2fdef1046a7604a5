-- One row per distinct referral (la, child_id, referral_date). The same CINdetails appears in every
-- return in which its episode is open: its values are taken from the latest return, and what
-- happened during it (assessment, plan, S47, ICPC, CPP) is accumulated over all returns.
CREATE OR REPLACE TEMP TABLE _lcd_ref AS
WITH latest AS (
    SELECT * FROM _lcd_ep
    QUALIFY row_number() OVER (
        PARTITION BY la, child_id, referral_date ORDER BY year DESC, episode_seq DESC) = 1
), acc AS (
    SELECT la, child_id, referral_date,
           min(year) AS first_year, max(year) AS last_year,
           bool_or(assessed) AS assessed, min(first_assessment_start) AS first_assessment_start,
           bool_or(had_plan) AS had_plan,
           bool_or(had_s47) AS had_s47, bool_or(had_icpc) AS had_icpc, bool_or(had_cpp) AS had_cpp
    FROM _lcd_ep GROUP BY ALL
), outcome AS (
    SELECT
        l.la, l.child_id, l.referral_date,
        CAST(year(l.referral_date) + CASE WHEN month(l.referral_date) >= 4 THEN 1 ELSE 0 END AS INTEGER) AS year,
        l.referral_source, l.primary_need, l.referral_nfa, l.closure_date, l.reason_for_closure,
        a.assessed, a.first_assessment_start, a.had_plan, a.had_s47, a.had_icpc, a.had_cpp,
        a.first_year, a.last_year,
        (NOT l.referral_nfa AND a.assessed AND l.reason_for_closure IN ('RC8', 'RC9')
         AND NOT a.had_plan AND NOT a.had_s47 AND NOT a.had_icpc AND NOT a.had_cpp) AS assessed_not_in_need
    FROM latest AS l JOIN acc AS a USING (la, child_id, referral_date)
), chain AS (
    SELECT *,
        lag(referral_date) OVER w AS previous_referral_date,
        lead(referral_date) OVER w AS next_referral_date
    FROM outcome
    WINDOW w AS (PARTITION BY la, child_id ORDER BY referral_date)
), flagged AS (
    SELECT *,
        coalesce(previous_referral_date >= CAST(referral_date - INTERVAL 12 MONTH AS DATE), false) AS rereferral_12m,
        coalesce(previous_referral_date >= CAST(referral_date - INTERVAL 3 YEAR AS DATE), false) AS rereferral_3y,
        coalesce(previous_referral_date >= CAST(referral_date - INTERVAL 5 YEAR AS DATE), false) AS rereferral_5y
    FROM chain
)
SELECT *,
    -- the next referral is a 12-month re-referral of this one exactly when it is within 12 months
    coalesce(lead(rereferral_12m) OVER (PARTITION BY la, child_id ORDER BY referral_date), false)
        AS later_rereferred_12m
FROM flagged;

CREATE OR REPLACE TEMP TABLE _lcd_out_referral AS
SELECT
    r.la, r.child_id, r.referral_date, r.year,
    r.referral_source, r.primary_need, r.referral_nfa, r.closure_date, r.reason_for_closure,
    r.assessed, r.first_assessment_start, r.assessed_not_in_need,
    NOT r.referral_nfa AND NOT r.assessed_not_in_need AS in_need,
    r.had_s47, r.had_icpc, r.had_cpp,
    CAST(CASE WHEN r.had_cpp THEN 6 WHEN r.had_icpc THEN 5 WHEN r.had_s47 THEN 4
              WHEN r.referral_nfa THEN 1 WHEN r.assessed_not_in_need THEN 2 ELSE 3 END AS INTEGER)
        AS highest_level,
    CASE WHEN r.had_cpp THEN '6. CPP' WHEN r.had_icpc THEN '5. ICPC' WHEN r.had_s47 THEN '4. s47 Enquiry'
         WHEN r.referral_nfa THEN '1. No further action'
         WHEN r.assessed_not_in_need THEN '2. Assessed as not in need' ELSE '3. CINO' END
        AS highest_level_label,
    r.previous_referral_date,
    CAST(r.referral_date - r.previous_referral_date AS INTEGER) AS days_since_previous,
    r.rereferral_12m, r.rereferral_3y, r.rereferral_5y,
    r.next_referral_date, r.later_rereferred_12m,
    CASE WHEN r.rereferral_12m THEN 'Re-referral'
         WHEN r.later_rereferred_12m THEN 'Initial referral: child later re-referred'
         ELSE 'Initial referral: child not re-referred' END AS referral_type,
    CASE WHEN c.birth_date IS NULL OR c.birth_date > r.referral_date THEN NULL
         ELSE CAST(year(r.referral_date) - year(c.birth_date)
              - CASE WHEN strftime(r.referral_date, '%m%d') < strftime(c.birth_date, '%m%d')
                     THEN 1 ELSE 0 END AS INTEGER) END AS age_at_referral,
    c.sex, c.ethnicity, coalesce(c.disabled, false) AS disabled
FROM _lcd_ref AS r
LEFT JOIN _lcd_out_child AS c USING (la, child_id)
ORDER BY r.la, r.child_id, r.referral_date;
