-- Alerts the steering group has looked at: acknowledged by whom and when,
-- and the action item it led to, if any. An alert is known by its series
-- (metric, touchpoint), its day and its kind; a reviewed alert leaves the
-- agenda's "what just broke".
CREATE TABLE alert_reviews (
    metric        TEXT NOT NULL CHECK (length(trim(metric)) > 0),
    touchpoint_id TEXT NOT NULL CHECK (length(trim(touchpoint_id)) > 0),
    day           TEXT NOT NULL CHECK (date(day) IS day),
    kind          TEXT NOT NULL CHECK (kind IN ('spike', 'dip', 'shift')),
    reviewed_by   TEXT NOT NULL,
    role          TEXT NOT NULL,
    reviewed_at   TEXT NOT NULL,
    action_id     INTEGER REFERENCES action_items (action_id),
    PRIMARY KEY (metric, touchpoint_id, day, kind)
) STRICT;
