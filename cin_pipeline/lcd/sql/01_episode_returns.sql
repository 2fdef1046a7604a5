-- One row per CINdetails block per return (la, child_id, year, episode_seq), with what happened
-- in it according to that return. Episodes without a referral date cannot be linked and are dropped
-- (a referral date is mandatory; the validator reports its absence as an error anyway).
CREATE OR REPLACE TEMP TABLE _lcd_ep AS
WITH a AS (
    SELECT la, child_id, year, episode_seq, count(*) AS n_assessments,
           min(start_date) AS first_assessment_start
    FROM {src}.assessment GROUP BY ALL
), p AS (
    SELECT la, child_id, year, episode_seq, count(*) AS n_plans
    FROM {src}.cin_plan GROUP BY ALL
), s AS (
    SELECT la, child_id, year, episode_seq, count(*) AS n_s47, count(icpc_date) AS n_icpc
    FROM {src}.section47 GROUP BY ALL
), c AS (
    SELECT la, child_id, year, episode_seq, count(*) AS n_cpp
    FROM {src}.cpp GROUP BY ALL
)
SELECT
    e.la, e.child_id, e.year, e.episode_seq, e.referral_date,
    e.referral_source, e.primary_need, e.closure_date, e.reason_for_closure,
    coalesce(e.referral_nfa, false) AS referral_nfa,
    coalesce(a.n_assessments, 0) > 0 AS assessed, a.first_assessment_start,
    coalesce(p.n_plans, 0) > 0 AS had_plan,
    coalesce(s.n_s47, 0) > 0 AS had_s47,
    (e.icpc_date IS NOT NULL OR coalesce(s.n_icpc, 0) > 0) AS had_icpc,
    coalesce(c.n_cpp, 0) > 0 AS had_cpp
FROM {src}.episode AS e
LEFT JOIN a USING (la, child_id, year, episode_seq)
LEFT JOIN p USING (la, child_id, year, episode_seq)
LEFT JOIN s USING (la, child_id, year, episode_seq)
LEFT JOIN c USING (la, child_id, year, episode_seq)
WHERE e.referral_date IS NOT NULL;
