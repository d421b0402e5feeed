-- How a revocation at the provider takes effect, per session and
-- credential: immediate, eventual or at_expiry; '' when not known.

-- +goose Up
ALTER TABLE sessions ADD COLUMN revocation_effect TEXT NOT NULL DEFAULT '';
ALTER TABLE credentials ADD COLUMN revocation_effect TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE sessions DROP COLUMN revocation_effect;
ALTER TABLE credentials DROP COLUMN revocation_effect;
