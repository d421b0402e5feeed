-- Writing a session or credential again as revoked is logged over any
-- status but revoked, as an UPDATE revoking it is: 0009 logged it only
-- over an active one, so one a sync had marked expired (the provider
-- stopped listing it, which the revocation stream never announces) was
-- revoked without a word to the enforcement points.

-- +goose Up
DROP TRIGGER sessions_revoked_replace;
DROP TRIGGER credentials_revoked_replace;
-- +goose StatementBegin
CREATE TRIGGER sessions_revoked_replace BEFORE INSERT ON sessions
WHEN NEW.status = 'revoked' AND EXISTS (SELECT 1 FROM sessions
    WHERE id = NEW.id AND status <> 'revoked')
BEGIN
    INSERT INTO revocation_log (type, target_id, principal_id, provider,
        external_id, at, by, reason, signal_id, action_id)
    VALUES ('session.revoked', NEW.id, NEW.principal_id, NEW.provider,
        NEW.external_id,
        coalesce(NEW.revoked_at, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
        coalesce(NEW.revoked_by, ''), coalesce(NEW.revoked_reason, ''),
        coalesce(NEW.revoked_signal_id, ''),
        coalesce(NEW.revoked_action_id, ''));
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER credentials_revoked_replace BEFORE INSERT ON credentials
WHEN NEW.status = 'revoked' AND EXISTS (SELECT 1 FROM credentials
    WHERE id = NEW.id AND status <> 'revoked')
BEGIN
    INSERT INTO revocation_log (type, target_id, principal_id, provider,
        external_id, at, by, reason, signal_id, action_id)
    VALUES ('credential.revoked', NEW.id, NEW.principal_id, NEW.store,
        NEW.external_id,
        coalesce(NEW.revoked_at, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
        coalesce(NEW.revoked_by, ''), coalesce(NEW.revoked_reason, ''),
        coalesce(NEW.revoked_signal_id, ''),
        coalesce(NEW.revoked_action_id, ''));
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER sessions_revoked_replace;
DROP TRIGGER credentials_revoked_replace;
-- +goose StatementBegin
CREATE TRIGGER sessions_revoked_replace BEFORE INSERT ON sessions
WHEN NEW.status = 'revoked' AND EXISTS (SELECT 1 FROM sessions
    WHERE id = NEW.id AND status = 'active')
BEGIN
    INSERT INTO revocation_log (type, target_id, principal_id, provider,
        external_id, at, by, reason, signal_id, action_id)
    VALUES ('session.revoked', NEW.id, NEW.principal_id, NEW.provider,
        NEW.external_id,
        coalesce(NEW.revoked_at, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
        coalesce(NEW.revoked_by, ''), coalesce(NEW.revoked_reason, ''),
        coalesce(NEW.revoked_signal_id, ''),
        coalesce(NEW.revoked_action_id, ''));
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER credentials_revoked_replace BEFORE INSERT ON credentials
WHEN NEW.status = 'revoked' AND EXISTS (SELECT 1 FROM credentials
    WHERE id = NEW.id AND status = 'active')
BEGIN
    INSERT INTO revocation_log (type, target_id, principal_id, provider,
        external_id, at, by, reason, signal_id, action_id)
    VALUES ('credential.revoked', NEW.id, NEW.principal_id, NEW.store,
        NEW.external_id,
        coalesce(NEW.revoked_at, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
        coalesce(NEW.revoked_by, ''), coalesce(NEW.revoked_reason, ''),
        coalesce(NEW.revoked_signal_id, ''),
        coalesce(NEW.revoked_action_id, ''));
END;
-- +goose StatementEnd
