-- The registry's first schema. Times are RFC 3339 text in UTC with six
-- fractional digits (fixed width, so text order is time order); NULL is
-- the zero time. JSON values (labels, origin, params, results, details)
-- are kept as TEXT, byte for byte as written.

-- +goose Up
CREATE TABLE principals (
    id           TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,
    display_name TEXT NOT NULL DEFAULT '',
    owner        TEXT NOT NULL DEFAULT '',
    status       TEXT NOT NULL,
    labels       TEXT,
    break_glass  INTEGER NOT NULL DEFAULT 0,
    created_at   TEXT
);
CREATE INDEX principals_kind_status ON principals (kind, status);

-- Credentials and sessions record a revocation in the revoked_* columns;
-- revoked_by is NULL when there is none. exposure_source is NULL when the
-- credential has no recorded exposure.
CREATE TABLE credentials (
    id                TEXT PRIMARY KEY,
    principal_id      TEXT NOT NULL REFERENCES principals (id),
    kind              TEXT NOT NULL DEFAULT '',
    store             TEXT NOT NULL DEFAULT '',
    external_id       TEXT NOT NULL DEFAULT '',
    fingerprint       TEXT NOT NULL DEFAULT '',
    created_at        TEXT,
    rotated_at        TEXT,
    last_used_at      TEXT,
    expires_at        TEXT,
    exposed_at        TEXT,
    exposure_source   TEXT,
    exposure_where    TEXT,
    status            TEXT NOT NULL,
    revoked_at        TEXT,
    revoked_by        TEXT,
    revoked_reason    TEXT,
    revoked_signal_id TEXT,
    revoked_action_id TEXT
);
CREATE INDEX credentials_principal ON credentials (principal_id, status);
CREATE INDEX credentials_status ON credentials (status);

CREATE TABLE aliases (
    type          TEXT NOT NULL,
    value         TEXT NOT NULL,
    principal_id  TEXT NOT NULL REFERENCES principals (id),
    credential_id TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (type, value, principal_id)
);
CREATE INDEX aliases_principal ON aliases (principal_id);

CREATE TABLE sessions (
    id                TEXT PRIMARY KEY,
    principal_id      TEXT NOT NULL REFERENCES principals (id),
    provider          TEXT NOT NULL DEFAULT '',
    external_id       TEXT NOT NULL DEFAULT '',
    kind              TEXT NOT NULL DEFAULT '',
    origin            TEXT,
    credential_id     TEXT NOT NULL DEFAULT '',
    created_at        TEXT,
    last_seen_at      TEXT,
    expires_at        TEXT,
    status            TEXT NOT NULL,
    revoked_at        TEXT,
    revoked_by        TEXT,
    revoked_reason    TEXT,
    revoked_signal_id TEXT,
    revoked_action_id TEXT
);
CREATE INDEX sessions_principal ON sessions (principal_id, status);
CREATE INDEX sessions_credential ON sessions (credential_id);
CREATE INDEX sessions_external ON sessions (external_id);
CREATE INDEX sessions_status ON sessions (status, provider);
CREATE INDEX sessions_revoked_action ON sessions (revoked_action_id);

CREATE TABLE locks (
    id          TEXT PRIMARY KEY,
    target_type TEXT NOT NULL,
    target      TEXT NOT NULL,
    reason      TEXT NOT NULL DEFAULT '',
    created_by  TEXT NOT NULL DEFAULT '',
    created_at  TEXT,
    expires_at  TEXT
);
CREATE INDEX locks_target ON locks (target_type, target);

-- seq keeps arrival order for signals and creation order for actions.
CREATE TABLE signals (
    seq             INTEGER PRIMARY KEY,
    id              TEXT NOT NULL UNIQUE,
    dedup_key       TEXT NOT NULL UNIQUE,
    format          TEXT NOT NULL DEFAULT '',
    category        TEXT NOT NULL DEFAULT '',
    severity        TEXT NOT NULL DEFAULT '',
    time            TEXT,
    received_at     TEXT,
    policy_revision TEXT NOT NULL DEFAULT '',
    signal          TEXT,
    decision        TEXT
);

-- The outbox. lease_until is a pending action's not-before time and a
-- running action's lease; lease_owner is the executor holding the lease.
CREATE TABLE actions (
    seq             INTEGER PRIMARY KEY,
    id              TEXT NOT NULL UNIQUE,
    idempotency_key TEXT NOT NULL UNIQUE,
    signal_id       TEXT NOT NULL DEFAULT '',
    kind            TEXT NOT NULL,
    target_type     TEXT NOT NULL DEFAULT '',
    target_id       TEXT NOT NULL DEFAULT '',
    scope           TEXT NOT NULL DEFAULT '',
    reason          TEXT NOT NULL DEFAULT '',
    policy          TEXT NOT NULL DEFAULT '',
    policy_revision TEXT NOT NULL DEFAULT '',
    params          TEXT,
    state           TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT NOT NULL DEFAULT '',
    result          TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    lease_until     TEXT,
    lease_owner     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX actions_state_lease ON actions (state, lease_until);
CREATE INDEX actions_signal ON actions (signal_id);
CREATE INDEX actions_created ON actions (created_at, seq);

-- The audit chain. details is kept verbatim: the hash covers its bytes.
CREATE TABLE audit (
    seq       INTEGER PRIMARY KEY,
    time      TEXT NOT NULL,
    actor     TEXT NOT NULL DEFAULT '',
    event     TEXT NOT NULL DEFAULT '',
    subject   TEXT NOT NULL DEFAULT '',
    details   TEXT,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
);
CREATE INDEX audit_subject ON audit (subject, seq);

-- The trail is append-only: these refuse edits made through SQL by
-- mistake. They stop no one who can write the file; the hash chain is
-- what proves tampering.
-- +goose StatementBegin
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN
    SELECT RAISE(ABORT, 'audit trail is append-only');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN
    SELECT RAISE(ABORT, 'audit trail is append-only');
END;
-- +goose StatementEnd

-- +goose Down
DROP TABLE audit;
DROP TABLE actions;
DROP TABLE signals;
DROP TABLE locks;
DROP TABLE sessions;
DROP TABLE aliases;
DROP TABLE credentials;
DROP TABLE principals;
