-- Distinct factors identified at the end of (authorised) assessments of a referral's episode,
-- collected from every return in which the episode appears. Code 21 ("no factors identified") is
-- kept; tables that must exclude it do so.
CREATE OR REPLACE TEMP TABLE _lcd_out_referral_factor AS
SELECT DISTINCT e.la, e.child_id, e.referral_date, f.factor
FROM {src}.assessment_factor AS f
JOIN {src}.assessment AS a USING (year, la, child_id, episode_seq, assessment_seq)
JOIN {src}.episode AS e USING (year, la, child_id, episode_seq)
WHERE a.authorisation_date IS NOT NULL
  AND e.referral_date IS NOT NULL
  AND f.factor IS NOT NULL
ORDER BY 1, 2, 3, 4;
