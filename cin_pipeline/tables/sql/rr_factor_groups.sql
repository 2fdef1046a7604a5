-- Assessment factor groups used by the re-referrals release (D1, D2): census code -> label.
-- Included by rr_d1.sql / rr_d2.sql as the CTE body `fg`. Factor 21 (no factors identified) and
-- 20 (other) are not published.
SELECT * FROM (VALUES
    ('1A', 'Alcohol misuse (any)'), ('1B', 'Alcohol misuse (any)'), ('1C', 'Alcohol misuse (any)'),
    ('2A', 'Drug misuse (any)'), ('2B', 'Drug misuse (any)'), ('2C', 'Drug misuse (any)'),
    ('3A', 'Domestic abuse (any)'), ('3B', 'Domestic abuse (any)'), ('3C', 'Domestic abuse (any)'),
    ('4A', 'Mental health (any)'), ('4B', 'Mental health (any)'), ('4C', 'Mental health (any)'),
    ('5A', 'Learning disability (any)'), ('5B', 'Learning disability (any)'), ('5C', 'Learning disability (any)'),
    ('6A', 'Physical disability or illness (any)'), ('6B', 'Physical disability or illness (any)'),
    ('6C', 'Physical disability or illness (any)'),
    ('7A', 'Young carer'),
    ('8B', 'Privately fostered'), ('8C', 'Privately fostered'), ('8D', 'Privately fostered'),
    ('8E', 'Privately fostered'), ('8F', 'Privately fostered'),
    ('9A', 'Unaccompanied asylum seeker'), ('10A', 'Going missing'),
    ('11A', 'Child sexual exploitation'), ('12A', 'Trafficking'), ('13A', 'Gangs'),
    ('14A', 'Socially unacceptable behaviour'), ('15A', 'Self-harm'), ('16A', 'Neglect'),
    ('17A', 'Emotional abuse'),
    ('18A', 'Physical abuse (any)'), ('18B', 'Physical abuse (any)'), ('18C', 'Physical abuse (any)'),
    ('19A', 'Sexual abuse (any)'), ('19B', 'Sexual abuse (any)'), ('19C', 'Sexual abuse (any)'),
    ('22A', 'Female genital mutilation'), ('23A', 'Faith-linked abuse'),
    ('24A', 'Child criminal exploitation')
) AS t(factor, assessmentfactor)
