-- What changed, for readers that keep a copy of the registry (the
-- introspection index) and for the revocation stream. Triggers write both
-- tables in the transaction of the change itself, so that every writer
-- (the engine, the CLI, import, sync, another instance on the same
-- database) is seen, and nothing is seen that did not commit.
--
-- registry_changes holds one row per session, credential, principal and
-- lock: the sequence number of its latest change, drawn again on every
-- change. Writers take the registry's write lock before they change
-- anything (see the package doc), so numbers commit in the order they
-- are drawn and a reader never sees one before a smaller one.
--
-- revocation_log is append-only: a session or credential revoked, a
-- principal disabled, a lock placed or lifted. Its seq is the event id
-- of the revocation stream: a sequence never hands a number out twice.
-- revocation_log_pruned holds the seq of the newest entry ever pruned.

-- +goose Up
CREATE SEQUENCE registry_changes_seq;
CREATE TABLE registry_changes (
    seq    bigint NOT NULL DEFAULT nextval('registry_changes_seq') UNIQUE,
    entity text COLLATE "C" NOT NULL,
    id     text COLLATE "C" NOT NULL,
    PRIMARY KEY (entity, id)
);
ALTER SEQUENCE registry_changes_seq OWNED BY registry_changes.seq;

CREATE TABLE revocation_log (
    seq              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    type             text COLLATE "C" NOT NULL,
    target_id        text COLLATE "C" NOT NULL,
    principal_id     text COLLATE "C" NOT NULL DEFAULT '',
    provider         text COLLATE "C" NOT NULL DEFAULT '',
    external_id      text COLLATE "C" NOT NULL DEFAULT '',
    at               timestamptz NOT NULL,
    by               text COLLATE "C" NOT NULL DEFAULT '',
    reason           text COLLATE "C" NOT NULL DEFAULT '',
    signal_id        text COLLATE "C" NOT NULL DEFAULT '',
    action_id        text COLLATE "C" NOT NULL DEFAULT '',
    lock_target_type text COLLATE "C" NOT NULL DEFAULT '',
    lock_target      text COLLATE "C" NOT NULL DEFAULT '',
    expires_at       timestamptz
);
CREATE INDEX revocation_log_at ON revocation_log (at);

CREATE TABLE revocation_log_pruned (
    id      integer PRIMARY KEY CHECK (id = 1),
    through bigint NOT NULL
);

-- The change of any registry record; TG_ARGV[0] names its entity.
-- +goose StatementBegin
CREATE FUNCTION killswitch_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO registry_changes (entity, id) VALUES (TG_ARGV[0], NEW.id)
    ON CONFLICT (entity, id) DO UPDATE SET seq = DEFAULT;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER sessions_changed AFTER INSERT OR UPDATE ON sessions
    FOR EACH ROW EXECUTE FUNCTION killswitch_changed('session');
CREATE TRIGGER credentials_changed AFTER INSERT OR UPDATE ON credentials
    FOR EACH ROW EXECUTE FUNCTION killswitch_changed('credential');
CREATE TRIGGER principals_changed AFTER INSERT OR UPDATE ON principals
    FOR EACH ROW EXECUTE FUNCTION killswitch_changed('principal');
CREATE TRIGGER locks_changed AFTER INSERT OR UPDATE ON locks
    FOR EACH ROW EXECUTE FUNCTION killswitch_changed('lock');

-- A session or credential is revoked by an UPDATE (the engine, the CLI)
-- or by writing it again as revoked over a live one (import, sync), which
-- the store does with INSERT ... ON CONFLICT DO UPDATE: an update too.
-- TG_ARGV[0] is the column naming the provider (sessions' provider,
-- credentials' store), TG_ARGV[1] the entry type.
-- +goose StatementBegin
CREATE FUNCTION killswitch_revoked() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO revocation_log (type, target_id, principal_id, provider,
        external_id, at, by, reason, signal_id, action_id)
    VALUES (TG_ARGV[1], NEW.id, NEW.principal_id,
        to_jsonb(NEW) ->> TG_ARGV[0], NEW.external_id,
        coalesce(NEW.revoked_at, now()), coalesce(NEW.revoked_by, ''),
        coalesce(NEW.revoked_reason, ''),
        coalesce(NEW.revoked_signal_id, ''),
        coalesce(NEW.revoked_action_id, ''));
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER sessions_revoked AFTER UPDATE OF status ON sessions
    FOR EACH ROW WHEN (NEW.status = 'revoked' AND OLD.status <> 'revoked')
    EXECUTE FUNCTION killswitch_revoked('provider', 'session.revoked');
CREATE TRIGGER credentials_revoked AFTER UPDATE OF status ON credentials
    FOR EACH ROW WHEN (NEW.status = 'revoked' AND OLD.status <> 'revoked')
    EXECUTE FUNCTION killswitch_revoked('store', 'credential.revoked');

-- +goose StatementBegin
CREATE FUNCTION killswitch_principal_disabled() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO revocation_log (type, target_id, principal_id, at)
    VALUES ('principal.disabled', NEW.id, NEW.id, now());
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER principals_disabled AFTER UPDATE OF status ON principals
    FOR EACH ROW WHEN (NEW.status = 'disabled' AND OLD.status <> 'disabled')
    EXECUTE FUNCTION killswitch_principal_disabled();

-- A lock placed (inserted in force) or lifted; TG_ARGV[0] the entry type.
-- +goose StatementBegin
CREATE FUNCTION killswitch_lock_logged() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_ARGV[0] = 'lock.placed' THEN
        INSERT INTO revocation_log (type, target_id, principal_id, at, by,
            reason, lock_target_type, lock_target, expires_at)
        VALUES ('lock.placed', NEW.id,
            CASE WHEN NEW.target_type = 'principal' THEN NEW.target
            ELSE '' END, coalesce(NEW.created_at, now()), NEW.created_by,
            NEW.reason, NEW.target_type, NEW.target, NEW.expires_at);
    ELSE
        INSERT INTO revocation_log (type, target_id, principal_id, at, by,
            reason, lock_target_type, lock_target, expires_at)
        VALUES ('lock.lifted', NEW.id,
            CASE WHEN NEW.target_type = 'principal' THEN NEW.target
            ELSE '' END, NEW.lifted_at, NEW.lifted_by, NEW.lift_reason,
            NEW.target_type, NEW.target, NEW.expires_at);
    END IF;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER locks_placed AFTER INSERT ON locks
    FOR EACH ROW WHEN (NEW.lifted_at IS NULL
        AND (NEW.expires_at IS NULL OR NEW.expires_at > now()))
    EXECUTE FUNCTION killswitch_lock_logged('lock.placed');
CREATE TRIGGER locks_lifted AFTER UPDATE OF lifted_at ON locks
    FOR EACH ROW WHEN (OLD.lifted_at IS NULL AND NEW.lifted_at IS NOT NULL)
    EXECUTE FUNCTION killswitch_lock_logged('lock.lifted');

-- +goose Down
DROP TABLE revocation_log_pruned;
DROP TABLE revocation_log;
DROP TABLE registry_changes;
DROP TRIGGER locks_lifted ON locks;
DROP TRIGGER locks_placed ON locks;
DROP TRIGGER principals_disabled ON principals;
DROP TRIGGER credentials_revoked ON credentials;
DROP TRIGGER sessions_revoked ON sessions;
DROP TRIGGER locks_changed ON locks;
DROP TRIGGER principals_changed ON principals;
DROP TRIGGER credentials_changed ON credentials;
DROP TRIGGER sessions_changed ON sessions;
DROP FUNCTION killswitch_lock_logged();
DROP FUNCTION killswitch_principal_disabled();
DROP FUNCTION killswitch_revoked();
DROP FUNCTION killswitch_changed();
