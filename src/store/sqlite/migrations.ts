/**
 * The schema, as an append-only list: migration N brings a database from `user_version` N to N + 1.
 * Never edit a released migration; add the next one.
 *
 * Money is REAL (double); the store rounds sums to 10 decimal places when it reads them. Times are TEXT
 * in `toISOString()` form, so ordering and ranges work on the text.
 */
export const migrations: readonly string[] = [
  `
  CREATE TABLE api_keys (
    id                  TEXT PRIMARY KEY,
    key_hash            TEXT NOT NULL UNIQUE,
    key_prefix          TEXT NOT NULL,
    name                TEXT NOT NULL,
    owner               TEXT NOT NULL,
    status              TEXT NOT NULL CHECK (status IN ('active', 'disabled', 'revoked')),
    status_reason       TEXT,
    expires_at          TEXT,
    rpm                 INTEGER,
    tpm                 INTEGER,
    monthly_budget_usd  REAL,
    service_tier        TEXT NOT NULL,
    allowed_models      TEXT NOT NULL, -- JSON array of globs
    model_map           TEXT NOT NULL, -- JSON object
    created_at          TEXT NOT NULL,
    last_used_at        TEXT
  ) STRICT;
  CREATE INDEX api_keys_by_creation ON api_keys (created_at, id);

  CREATE TABLE usage_records (
    request_id                   TEXT PRIMARY KEY,
    key_id                       TEXT NOT NULL,
    created_at                   TEXT NOT NULL,
    requested_model              TEXT NOT NULL,
    resolved_model               TEXT NOT NULL,
    input_tokens                 INTEGER NOT NULL,
    output_tokens                INTEGER NOT NULL,
    cache_read_input_tokens      INTEGER NOT NULL,
    cache_creation_input_tokens  INTEGER NOT NULL,
    service_tier                 TEXT NOT NULL,
    time_to_first_token_ms       REAL,
    latency_ms                   REAL NOT NULL,
    status                       INTEGER NOT NULL,
    error_type                   TEXT,
    cost_usd                     REAL NOT NULL
  ) STRICT;
  CREATE INDEX usage_records_by_key_time ON usage_records (key_id, created_at, request_id);

  CREATE TABLE usage_rollups (
    bucket                       TEXT NOT NULL CHECK (bucket IN ('hour', 'day')),
    key_id                       TEXT NOT NULL,
    model                        TEXT NOT NULL,
    bucket_start                 TEXT NOT NULL,
    requests                     INTEGER NOT NULL,
    input_tokens                 INTEGER NOT NULL,
    output_tokens                INTEGER NOT NULL,
    cache_read_input_tokens      INTEGER NOT NULL,
    cache_creation_input_tokens  INTEGER NOT NULL,
    cost_usd                     REAL NOT NULL,
    PRIMARY KEY (bucket, key_id, model, bucket_start)
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX usage_rollups_by_time ON usage_rollups (bucket, bucket_start);

  CREATE TABLE month_spend (
    key_id     TEXT NOT NULL,
    month      TEXT NOT NULL,
    spend_usd  REAL NOT NULL,
    PRIMARY KEY (key_id, month)
  ) STRICT, WITHOUT ROWID;

  CREATE TABLE model_prices (
    model_id                 TEXT PRIMARY KEY,
    input_usd_per_mtok       REAL NOT NULL,
    output_usd_per_mtok      REAL NOT NULL,
    cache_read_usd_per_mtok  REAL NOT NULL,
    cache_write_usd_per_mtok REAL NOT NULL,
    tier_default             REAL NOT NULL,
    tier_flex                REAL NOT NULL,
    tier_priority            REAL NOT NULL,
    tier_reserved            REAL NOT NULL,
    source                   TEXT NOT NULL CHECK (source IN ('seed', 'operator')),
    updated_at               TEXT NOT NULL
  ) STRICT;

  CREATE TABLE model_aliases (
    alias       TEXT PRIMARY KEY,
    model_id    TEXT NOT NULL,
    updated_at  TEXT NOT NULL
  ) STRICT;
  `,
  // A key's service_tier may be NULL: it then follows DEFAULT_SERVICE_TIER. SQLite cannot drop a NOT NULL
  // in place, so the table is rebuilt; the keys keep the tier they had.
  `
  CREATE TABLE api_keys_next (
    id                  TEXT PRIMARY KEY,
    key_hash            TEXT NOT NULL UNIQUE,
    key_prefix          TEXT NOT NULL,
    name                TEXT NOT NULL,
    owner               TEXT NOT NULL,
    status              TEXT NOT NULL CHECK (status IN ('active', 'disabled', 'revoked')),
    status_reason       TEXT,
    expires_at          TEXT,
    rpm                 INTEGER,
    tpm                 INTEGER,
    monthly_budget_usd  REAL,
    service_tier        TEXT,
    allowed_models      TEXT NOT NULL, -- JSON array of globs
    model_map           TEXT NOT NULL, -- JSON object
    created_at          TEXT NOT NULL,
    last_used_at        TEXT
  ) STRICT;
  INSERT INTO api_keys_next SELECT * FROM api_keys;
  DROP TABLE api_keys;
  ALTER TABLE api_keys_next RENAME TO api_keys;
  CREATE INDEX api_keys_by_creation ON api_keys (created_at, id);
  `,
  // The operator's side (portal, audit): errors in the roll-ups (counted again from the records kept so
  // far), the request log across keys by time, the month's spend largest first, and the audit log.
  `
  ALTER TABLE usage_rollups ADD COLUMN errors INTEGER NOT NULL DEFAULT 0;
  UPDATE usage_rollups SET errors = (
    SELECT count(*) FROM usage_records r
    WHERE r.key_id = usage_rollups.key_id AND r.resolved_model = usage_rollups.model AND r.status >= 400
      AND r.created_at >= usage_rollups.bucket_start
      AND r.created_at < strftime('%Y-%m-%dT%H:%M:%fZ', usage_rollups.bucket_start, CASE usage_rollups.bucket WHEN 'hour' THEN '+1 hour' ELSE '+1 day' END)
  );
  CREATE INDEX usage_records_by_time ON usage_records (created_at, request_id);
  CREATE INDEX month_spend_by_month ON month_spend (month, spend_usd);

  CREATE TABLE audit_log (
    id            TEXT PRIMARY KEY,
    at            TEXT NOT NULL,
    actor         TEXT NOT NULL, -- JSON object
    action        TEXT NOT NULL,
    target        TEXT NOT NULL,
    before_state  TEXT,          -- JSON object
    after_state   TEXT           -- JSON object
  ) STRICT;
  CREATE INDEX audit_log_by_time ON audit_log (at, id);
  CREATE INDEX audit_log_by_target ON audit_log (target, at, id);
  `,
];
