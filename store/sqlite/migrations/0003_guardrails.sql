-- Guardrails: locks are lifted, not deleted, so that their history
-- stays; actions carry the kind of their target's principal (for
-- blast-radius budgets), the deadline of an approval and what happens
-- when it passes, and the verdict that ended the wait.

-- +goose Up
ALTER TABLE locks ADD COLUMN lifted_at TEXT;
ALTER TABLE locks ADD COLUMN lifted_by TEXT NOT NULL DEFAULT '';
ALTER TABLE locks ADD COLUMN lift_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE actions ADD COLUMN principal_kind TEXT NOT NULL DEFAULT '';
ALTER TABLE actions ADD COLUMN approval_deadline TEXT;
ALTER TABLE actions ADD COLUMN on_timeout TEXT NOT NULL DEFAULT '';
ALTER TABLE actions ADD COLUMN verdict TEXT NOT NULL DEFAULT '';
ALTER TABLE actions ADD COLUMN verdict_by TEXT NOT NULL DEFAULT '';
ALTER TABLE actions ADD COLUMN verdict_at TEXT;
ALTER TABLE actions ADD COLUMN verdict_reason TEXT NOT NULL DEFAULT '';
CREATE INDEX actions_approval ON actions (state, approval_deadline);
CREATE INDEX actions_budget ON actions (kind, created_at);

-- +goose Down
DROP INDEX actions_budget;
DROP INDEX actions_approval;
ALTER TABLE actions DROP COLUMN verdict_reason;
ALTER TABLE actions DROP COLUMN verdict_at;
ALTER TABLE actions DROP COLUMN verdict_by;
ALTER TABLE actions DROP COLUMN verdict;
ALTER TABLE actions DROP COLUMN on_timeout;
ALTER TABLE actions DROP COLUMN approval_deadline;
ALTER TABLE actions DROP COLUMN principal_kind;
ALTER TABLE locks DROP COLUMN lift_reason;
ALTER TABLE locks DROP COLUMN lifted_by;
ALTER TABLE locks DROP COLUMN lifted_at;
