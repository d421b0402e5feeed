-- Storms: an action carries the key of its effect, and one recorded
-- while another with that key is pending is stored skipped instead. The
-- partial index finds the pending action of a key.

-- +goose Up
ALTER TABLE actions ADD COLUMN coalesce_key TEXT NOT NULL DEFAULT '';
CREATE INDEX actions_coalesce ON actions (coalesce_key)
    WHERE state = 'pending' AND coalesce_key != '';

-- +goose Down
DROP INDEX actions_coalesce;
ALTER TABLE actions DROP COLUMN coalesce_key;
