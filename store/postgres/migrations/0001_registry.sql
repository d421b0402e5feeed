-- The registry's schema, as store/sqlite's migrations 0001 to 0011 left
-- it, in PostgreSQL's types: times are timestamptz (microseconds, as
-- store.NormalizeTime keeps them; NULL is the zero time), flags boolean,
-- keys and secrets' bytes bytea. JSON values (labels, origin, params,
-- results, details, signals) stay text, byte for byte as written: the
-- audit hash covers the exact bytes of details.
--
-- Every text column sorts and compares by byte (COLLATE "C"), as SQLite
-- does: ids page with "id > last", and a database whose default
-- collation is a language's would order them otherwise.

-- +goose Up
CREATE TABLE principals (
    id           text COLLATE "C" PRIMARY KEY,
    kind         text COLLATE "C" NOT NULL,
    display_name text COLLATE "C" NOT NULL DEFAULT '',
    owner        text COLLATE "C" NOT NULL DEFAULT '',
    status       text COLLATE "C" NOT NULL,
    labels       text COLLATE "C",
    break_glass  boolean NOT NULL DEFAULT false,
    created_at   timestamptz
);
CREATE INDEX principals_kind_status ON principals (kind, status);

-- Credentials and sessions record a revocation in the revoked_* columns;
-- revoked_by is NULL when there is none. exposure_source is NULL when the
-- credential has no recorded exposure.
CREATE TABLE credentials (
    id                text COLLATE "C" PRIMARY KEY,
    principal_id      text COLLATE "C" NOT NULL REFERENCES principals (id),
    kind              text COLLATE "C" NOT NULL DEFAULT '',
    store             text COLLATE "C" NOT NULL DEFAULT '',
    external_id       text COLLATE "C" NOT NULL DEFAULT '',
    fingerprint       text COLLATE "C" NOT NULL DEFAULT '',
    created_at        timestamptz,
    rotated_at        timestamptz,
    last_used_at      timestamptz,
    expires_at        timestamptz,
    exposed_at        timestamptz,
    exposure_source   text COLLATE "C",
    exposure_where    text COLLATE "C",
    status            text COLLATE "C" NOT NULL,
    revoked_at        timestamptz,
    revoked_by        text COLLATE "C",
    revoked_reason    text COLLATE "C",
    revoked_signal_id text COLLATE "C",
    revoked_action_id text COLLATE "C",
    revocation_effect text COLLATE "C" NOT NULL DEFAULT ''
);
CREATE INDEX credentials_principal ON credentials (principal_id, status);
CREATE INDEX credentials_status ON credentials (status);
CREATE INDEX credentials_fingerprint ON credentials (fingerprint);
CREATE INDEX credentials_external ON credentials (external_id);

-- E-mail addresses and user names resolve whatever the case of their
-- ASCII letters (store.CaseFoldedAliasTypes), as SQLite's NOCASE folds
-- them: the queries compare translate(value, A-Z, a-z), which this
-- index serves. lower() would fold other letters too, by locale.
CREATE TABLE aliases (
    type          text COLLATE "C" NOT NULL,
    value         text COLLATE "C" NOT NULL,
    principal_id  text COLLATE "C" NOT NULL REFERENCES principals (id),
    credential_id text COLLATE "C" NOT NULL DEFAULT '',
    PRIMARY KEY (type, value, principal_id)
);
CREATE INDEX aliases_principal ON aliases (principal_id);
CREATE INDEX aliases_value ON aliases (value);
CREATE INDEX aliases_value_folded ON aliases (type, translate(value,
    'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz'));

CREATE TABLE sessions (
    id                text COLLATE "C" PRIMARY KEY,
    principal_id      text COLLATE "C" NOT NULL REFERENCES principals (id),
    provider          text COLLATE "C" NOT NULL DEFAULT '',
    external_id       text COLLATE "C" NOT NULL DEFAULT '',
    kind              text COLLATE "C" NOT NULL DEFAULT '',
    origin            text COLLATE "C",
    credential_id     text COLLATE "C" NOT NULL DEFAULT '',
    created_at        timestamptz,
    last_seen_at      timestamptz,
    expires_at        timestamptz,
    status            text COLLATE "C" NOT NULL,
    revoked_at        timestamptz,
    revoked_by        text COLLATE "C",
    revoked_reason    text COLLATE "C",
    revoked_signal_id text COLLATE "C",
    revoked_action_id text COLLATE "C",
    revocation_effect text COLLATE "C" NOT NULL DEFAULT ''
);
CREATE INDEX sessions_principal ON sessions (principal_id, status);
CREATE INDEX sessions_credential ON sessions (credential_id);
CREATE INDEX sessions_external ON sessions (external_id);
CREATE INDEX sessions_status ON sessions (status, provider);
CREATE INDEX sessions_revoked_action ON sessions (revoked_action_id);

-- Locks are lifted, not deleted, so that their history stays.
CREATE TABLE locks (
    id          text COLLATE "C" PRIMARY KEY,
    target_type text COLLATE "C" NOT NULL,
    target      text COLLATE "C" NOT NULL,
    reason      text COLLATE "C" NOT NULL DEFAULT '',
    created_by  text COLLATE "C" NOT NULL DEFAULT '',
    created_at  timestamptz,
    expires_at  timestamptz,
    lifted_at   timestamptz,
    lifted_by   text COLLATE "C" NOT NULL DEFAULT '',
    lift_reason text COLLATE "C" NOT NULL DEFAULT ''
);
CREATE INDEX locks_target ON locks (target_type, target);

-- seq keeps arrival order for signals and creation order for actions;
-- one writer at a time (see the package doc) draws them in commit order.
CREATE TABLE signals (
    seq             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id              text COLLATE "C" NOT NULL UNIQUE,
    dedup_key       text COLLATE "C" NOT NULL UNIQUE,
    format          text COLLATE "C" NOT NULL DEFAULT '',
    category        text COLLATE "C" NOT NULL DEFAULT '',
    severity        text COLLATE "C" NOT NULL DEFAULT '',
    time            timestamptz,
    received_at     timestamptz,
    policy_revision text COLLATE "C" NOT NULL DEFAULT '',
    signal          text COLLATE "C",
    decision        text COLLATE "C"
);
CREATE INDEX signals_received ON signals (received_at);

-- The outbox. lease_until is a pending action's not-before time and a
-- running action's lease; lease_owner is the executor holding the lease.
-- The guardrail columns carry the kind of the target's principal, the
-- approval deadline and what happens when it passes, and the verdict
-- that ended the wait. coalesce_key names the action's effect.
CREATE TABLE actions (
    seq               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id                text COLLATE "C" NOT NULL UNIQUE,
    idempotency_key   text COLLATE "C" NOT NULL UNIQUE,
    signal_id         text COLLATE "C" NOT NULL DEFAULT '',
    kind              text COLLATE "C" NOT NULL,
    target_type       text COLLATE "C" NOT NULL DEFAULT '',
    target_id         text COLLATE "C" NOT NULL DEFAULT '',
    scope             text COLLATE "C" NOT NULL DEFAULT '',
    reason            text COLLATE "C" NOT NULL DEFAULT '',
    policy            text COLLATE "C" NOT NULL DEFAULT '',
    policy_revision   text COLLATE "C" NOT NULL DEFAULT '',
    params            text COLLATE "C",
    state             text COLLATE "C" NOT NULL,
    attempts          integer NOT NULL DEFAULT 0,
    last_error        text COLLATE "C" NOT NULL DEFAULT '',
    result            text COLLATE "C",
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    lease_until       timestamptz,
    lease_owner       text COLLATE "C" NOT NULL DEFAULT '',
    principal_kind    text COLLATE "C" NOT NULL DEFAULT '',
    approval_deadline timestamptz,
    on_timeout        text COLLATE "C" NOT NULL DEFAULT '',
    verdict           text COLLATE "C" NOT NULL DEFAULT '',
    verdict_by        text COLLATE "C" NOT NULL DEFAULT '',
    verdict_at        timestamptz,
    verdict_reason    text COLLATE "C" NOT NULL DEFAULT '',
    coalesce_key      text COLLATE "C" NOT NULL DEFAULT ''
);
CREATE INDEX actions_state_lease ON actions (state, lease_until);
CREATE INDEX actions_signal ON actions (signal_id);
CREATE INDEX actions_created ON actions (created_at, seq);
CREATE INDEX actions_approval ON actions (state, approval_deadline);
CREATE INDEX actions_budget ON actions (kind, created_at);
CREATE INDEX actions_coalesce ON actions (coalesce_key)
    WHERE state = 'pending' AND coalesce_key <> '';

-- The audit chain. details is kept verbatim: the hash covers its bytes.
CREATE TABLE audit (
    seq       bigint PRIMARY KEY,
    time      timestamptz NOT NULL,
    actor     text COLLATE "C" NOT NULL DEFAULT '',
    event     text COLLATE "C" NOT NULL DEFAULT '',
    subject   text COLLATE "C" NOT NULL DEFAULT '',
    details   text COLLATE "C",
    prev_hash text COLLATE "C" NOT NULL,
    hash      text COLLATE "C" NOT NULL
);
CREATE INDEX audit_subject ON audit (subject, seq);

-- The trail is append-only: these refuse edits made through SQL by
-- mistake. They stop no one who may drop a trigger; the hash chain is
-- what proves tampering.
-- +goose StatementBegin
CREATE FUNCTION killswitch_audit_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit trail is append-only';
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
    FOR EACH ROW EXECUTE FUNCTION killswitch_audit_append_only();
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
    FOR EACH ROW EXECUTE FUNCTION killswitch_audit_append_only();
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit
    FOR EACH STATEMENT EXECUTE FUNCTION killswitch_audit_append_only();

-- The exposure ledger. credential_id is '' while the exposure names no
-- registry credential; it is matched by fingerprint or key_id (a
-- credential's external_id) when the credential arrives. validity is ''
-- until the issuer is asked.
CREATE TABLE exposures (
    seq           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id            text COLLATE "C" NOT NULL UNIQUE,
    credential_id text COLLATE "C" NOT NULL DEFAULT '',
    fingerprint   text COLLATE "C" NOT NULL DEFAULT '',
    key_id        text COLLATE "C" NOT NULL DEFAULT '',
    source        text COLLATE "C" NOT NULL,
    place         text COLLATE "C" NOT NULL DEFAULT '',
    first_seen    timestamptz NOT NULL,
    last_seen     timestamptz NOT NULL,
    signal_id     text COLLATE "C" NOT NULL DEFAULT '',
    validity      text COLLATE "C" NOT NULL DEFAULT '',
    checked_at    timestamptz
);
CREATE INDEX exposures_credential ON exposures (credential_id, first_seen);
CREATE INDEX exposures_fingerprint ON exposures (fingerprint)
    WHERE credential_id = '';
CREATE INDEX exposures_key_id ON exposures (key_id) WHERE credential_id = '';

-- One row per sweep and scheduled time: the unique key is what makes two
-- instances run each scheduled time once. A lease row names the one
-- instance that runs a sweep until it expires.
CREATE TABLE sweep_runs (
    seq          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id           text COLLATE "C" NOT NULL UNIQUE,
    sweep        text COLLATE "C" NOT NULL,
    scheduled_at timestamptz NOT NULL,
    owner        text COLLATE "C" NOT NULL DEFAULT '',
    started_at   timestamptz NOT NULL,
    finished_at  timestamptz,
    outcome      text COLLATE "C" NOT NULL,
    error        text COLLATE "C" NOT NULL DEFAULT '',
    report       text COLLATE "C",
    UNIQUE (sweep, scheduled_at)
);

CREATE TABLE sweep_leases (
    sweep      text COLLATE "C" PRIMARY KEY,
    owner      text COLLATE "C" NOT NULL,
    expires_at timestamptz NOT NULL
);

-- The HTTP API's bearer tokens. Only the SHA-256 of a secret is kept;
-- scopes is a JSON object (store.TokenScopes), NULL for none.
CREATE TABLE api_tokens (
    seq          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id           text COLLATE "C" NOT NULL UNIQUE,
    name         text COLLATE "C" NOT NULL,
    secret_hash  text COLLATE "C" NOT NULL UNIQUE,
    role         text COLLATE "C" NOT NULL,
    scopes       text COLLATE "C",
    created_by   text COLLATE "C" NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz,
    last_used_at timestamptz,
    revoked_at   timestamptz,
    revoked_by   text COLLATE "C" NOT NULL DEFAULT ''
);

-- Propagation by standard: the keys that sign Security Event Tokens, the
-- receivers' streams (Shared Signals streams and webhooks) and the
-- deliveries queued for them. Private keys and the secrets a stream sends
-- are kept as they must be used; no list command reads those columns.
CREATE TABLE signing_keys (
    kid         text COLLATE "C" PRIMARY KEY,
    alg         text COLLATE "C" NOT NULL,
    private_der bytea NOT NULL,
    created_at  timestamptz NOT NULL,
    retired_at  timestamptz
);

-- Lists (audience, events, excluded subjects) are JSON arrays.
CREATE TABLE streams (
    id               text COLLATE "C" PRIMARY KEY,
    audience         text COLLATE "C" NOT NULL DEFAULT '[]',
    method           text COLLATE "C" NOT NULL,
    endpoint_url     text COLLATE "C" NOT NULL DEFAULT '',
    authorization_header text COLLATE "C" NOT NULL DEFAULT '',
    signing_secret   text COLLATE "C" NOT NULL DEFAULT '',
    events_requested text COLLATE "C" NOT NULL DEFAULT '[]',
    events_delivered text COLLATE "C" NOT NULL DEFAULT '[]',
    description      text COLLATE "C" NOT NULL DEFAULT '',
    status           text COLLATE "C" NOT NULL,
    status_reason    text COLLATE "C" NOT NULL DEFAULT '',
    excluded         text COLLATE "C" NOT NULL DEFAULT '[]',
    created_at       timestamptz,
    updated_at       timestamptz
);

-- seq keeps insertion order among deliveries created at the same time.
CREATE TABLE deliveries (
    seq         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    stream_id   text COLLATE "C" NOT NULL
                REFERENCES streams (id) ON DELETE CASCADE,
    id          text COLLATE "C" NOT NULL,
    event_type  text COLLATE "C" NOT NULL DEFAULT '',
    body        bytea NOT NULL,
    state       text COLLATE "C" NOT NULL,
    attempts    integer NOT NULL DEFAULT 0,
    last_error  text COLLATE "C" NOT NULL DEFAULT '',
    created_at  timestamptz,
    not_before  timestamptz,
    lease_until timestamptz,
    lease_owner text COLLATE "C" NOT NULL DEFAULT '',
    finished_at timestamptz,
    UNIQUE (stream_id, id)
);
CREATE INDEX deliveries_runnable ON deliveries (state, stream_id, seq);

-- killswitch_in_network(ip, prefix) is true when the text ip is an
-- address within prefix: false for an empty or unparsable ip (or one
-- with a zone or a mask), as store/sqlite's function of that name. An
-- IPv4-mapped IPv6 address is matched as the IPv4 address it maps.
-- +goose StatementBegin
CREATE FUNCTION killswitch_in_network(ip text, prefix cidr) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    addr inet;
BEGIN
    IF ip IS NULL OR ip = '' OR strpos(ip, '/') > 0 THEN
        RETURN false;
    END IF;
    BEGIN
        addr := ip::inet;
    EXCEPTION WHEN others THEN
        RETURN false;
    END;
    IF family(addr) = 6 AND addr <<= '::ffff:0.0.0.0/96'::cidr THEN
        addr := '0.0.0.0'::inet + (addr - '::ffff:0.0.0.0'::inet);
    END IF;
    RETURN family(addr) = family(prefix) AND addr <<= prefix;
END;
$$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION killswitch_in_network(text, cidr);
DROP TABLE deliveries;
DROP TABLE streams;
DROP TABLE signing_keys;
DROP TABLE api_tokens;
DROP TABLE sweep_leases;
DROP TABLE sweep_runs;
DROP TABLE exposures;
DROP TABLE audit;
DROP FUNCTION killswitch_audit_append_only();
DROP TABLE actions;
DROP TABLE signals;
DROP TABLE locks;
DROP TABLE sessions;
DROP TABLE aliases;
DROP TABLE credentials;
DROP TABLE principals;
