-- Macros every table query may use (run before the queries by cin_pipeline.publish.ees).
-- cin_working_days(a, b): Monday-Friday days in (a, b], i.e. working days elapsed from a to b
-- (0 when b = a). Bank holidays are not excluded. Days are counted from Monday 1970-01-05.
CREATE OR REPLACE TEMP MACRO cin_weekdays_before(d) AS
    ((d - DATE '1970-01-05') // 7) * 5 + least((d - DATE '1970-01-05') % 7, 5);
CREATE OR REPLACE TEMP MACRO cin_working_days(a, b) AS
    cin_weekdays_before(b + 1) - cin_weekdays_before(a + 1);
