-- What changed, for readers that keep a copy of the registry (the
-- introspection index) and for the revocation stream. Triggers write both
-- tables in the transaction of the change itself, so that every writer
-- (the engine, the CLI, import, sync, another process on the same file)
-- is seen, and nothing is seen that did not commit.
--
-- registry_changes holds one row per session, credential, principal and
-- lock: the sequence number of its latest change. A change deletes the
-- row and inserts it again, so that AUTOINCREMENT hands it a number
-- greater than any before; the table stays as large as the registry.
-- One writer at a time means a number is never seen before a smaller one.
--
-- revocation_log is append-only: a session or credential revoked, a
-- principal disabled, a lock placed or lifted. Its seq is the event id
-- of the revocation stream, so it must never be reused: AUTOINCREMENT.

-- +goose Up
CREATE TABLE registry_changes (
    seq    INTEGER PRIMARY KEY AUTOINCREMENT,
    entity TEXT NOT NULL,
    id     TEXT NOT NULL,
    UNIQUE (entity, id)
);

CREATE TABLE revocation_log (
    seq              INTEGER PRIMARY KEY AUTOINCREMENT,
    type             TEXT NOT NULL,
    target_id        TEXT NOT NULL,
    principal_id     TEXT NOT NULL DEFAULT '',
    provider         TEXT NOT NULL DEFAULT '',
    external_id      TEXT NOT NULL DEFAULT '',
    at               TEXT NOT NULL,
    by               TEXT NOT NULL DEFAULT '',
    reason           TEXT NOT NULL DEFAULT '',
    signal_id        TEXT NOT NULL DEFAULT '',
    action_id        TEXT NOT NULL DEFAULT '',
    lock_target_type TEXT NOT NULL DEFAULT '',
    lock_target      TEXT NOT NULL DEFAULT '',
    expires_at       TEXT
);

-- Records that exist before this migration count as changed by it.
INSERT INTO registry_changes (entity, id) SELECT 'principal', id FROM principals;
INSERT INTO registry_changes (entity, id) SELECT 'credential', id FROM credentials;
INSERT INTO registry_changes (entity, id) SELECT 'session', id FROM sessions;
INSERT INTO registry_changes (entity, id) SELECT 'lock', id FROM locks;

-- +goose StatementBegin
CREATE TRIGGER sessions_changed_insert AFTER INSERT ON sessions
BEGIN
    DELETE FROM registry_changes WHERE entity = 'session' AND id = NEW.id;
    INSERT INTO registry_changes (entity, id) VALUES ('session', NEW.id);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER sessions_changed_update AFTER UPDATE ON sessions
BEGIN
    DELETE FROM registry_changes WHERE entity = 'session' AND id = NEW.id;
    INSERT INTO registry_changes (entity, id) VALUES ('session', NEW.id);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER credentials_changed_insert AFTER INSERT ON credentials
BEGIN
    DELETE FROM registry_changes WHERE entity = 'credential' AND id = NEW.id;
    INSERT INTO registry_changes (entity, id) VALUES ('credential', NEW.id);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER credentials_changed_update AFTER UPDATE ON credentials
BEGIN
    DELETE FROM registry_changes WHERE entity = 'credential' AND id = NEW.id;
    INSERT INTO registry_changes (entity, id) VALUES ('credential', NEW.id);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER principals_changed_insert AFTER INSERT ON principals
BEGIN
    DELETE FROM registry_changes WHERE entity = 'principal' AND id = NEW.id;
    INSERT INTO registry_changes (entity, id) VALUES ('principal', NEW.id);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER principals_changed_update AFTER UPDATE ON principals
BEGIN
    DELETE FROM registry_changes WHERE entity = 'principal' AND id = NEW.id;
    INSERT INTO registry_changes (entity, id) VALUES ('principal', NEW.id);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER locks_changed_insert AFTER INSERT ON locks
BEGIN
    DELETE FROM registry_changes WHERE entity = 'lock' AND id = NEW.id;
    INSERT INTO registry_changes (entity, id) VALUES ('lock', NEW.id);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER locks_changed_update AFTER UPDATE ON locks
BEGIN
    DELETE FROM registry_changes WHERE entity = 'lock' AND id = NEW.id;
    INSERT INTO registry_changes (entity, id) VALUES ('lock', NEW.id);
END;
-- +goose StatementEnd

-- A session or credential is revoked by an UPDATE (the engine, the CLI)
-- or by writing it again as revoked over a live one (import, sync).
-- +goose StatementBegin
CREATE TRIGGER sessions_revoked_update AFTER UPDATE OF status ON sessions
WHEN NEW.status = 'revoked' AND OLD.status <> 'revoked'
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
CREATE TRIGGER credentials_revoked_update AFTER UPDATE OF status ON credentials
WHEN NEW.status = 'revoked' AND OLD.status <> 'revoked'
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
-- +goose StatementBegin
CREATE TRIGGER principals_disabled AFTER UPDATE OF status ON principals
WHEN NEW.status = 'disabled' AND OLD.status <> 'disabled'
BEGIN
    INSERT INTO revocation_log (type, target_id, principal_id, at)
    VALUES ('principal.disabled', NEW.id, NEW.id,
        strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER locks_placed AFTER INSERT ON locks
WHEN NEW.lifted_at IS NULL AND (NEW.expires_at IS NULL
    OR NEW.expires_at > strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
BEGIN
    INSERT INTO revocation_log (type, target_id, principal_id, at, by,
        reason, lock_target_type, lock_target, expires_at)
    VALUES ('lock.placed', NEW.id,
        CASE WHEN NEW.target_type = 'principal' THEN NEW.target ELSE '' END,
        coalesce(NEW.created_at, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
        NEW.created_by, NEW.reason, NEW.target_type, NEW.target,
        NEW.expires_at);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER locks_lifted AFTER UPDATE OF lifted_at ON locks
WHEN OLD.lifted_at IS NULL AND NEW.lifted_at IS NOT NULL
BEGIN
    INSERT INTO revocation_log (type, target_id, principal_id, at, by,
        reason, lock_target_type, lock_target, expires_at)
    VALUES ('lock.lifted', NEW.id,
        CASE WHEN NEW.target_type = 'principal' THEN NEW.target ELSE '' END,
        NEW.lifted_at, NEW.lifted_by, NEW.lift_reason, NEW.target_type,
        NEW.target, NEW.expires_at);
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER locks_lifted;
DROP TRIGGER locks_placed;
DROP TRIGGER principals_disabled;
DROP TRIGGER credentials_revoked_replace;
DROP TRIGGER credentials_revoked_update;
DROP TRIGGER sessions_revoked_replace;
DROP TRIGGER sessions_revoked_update;
DROP TRIGGER locks_changed_update;
DROP TRIGGER locks_changed_insert;
DROP TRIGGER principals_changed_update;
DROP TRIGGER principals_changed_insert;
DROP TRIGGER credentials_changed_update;
DROP TRIGGER credentials_changed_insert;
DROP TRIGGER sessions_changed_update;
DROP TRIGGER sessions_changed_insert;
DROP TABLE revocation_log;
DROP TABLE registry_changes;
