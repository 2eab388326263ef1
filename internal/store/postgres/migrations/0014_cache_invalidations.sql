-- The invalidation feed of the caches of token facts (store/invalidation.go).
-- Every write that ends, revokes, locks or deactivates an object adds a row
-- here in its own transaction; following processes read the rows past the
-- last one they applied, and say how far they got in cache_followers so
-- that a writer can wait for them. Sequence numbers are handed out under a
-- transaction-level advisory lock, so they become visible in order.
CREATE TABLE cache_invalidations (
    seq        BIGSERIAL PRIMARY KEY,
    kind       TEXT NOT NULL,
    object_id  TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX cache_invalidations_created_at ON cache_invalidations (created_at);

-- heartbeat_at is the database's clock, in microseconds since the epoch,
-- at the follower's last successful catch-up.
CREATE TABLE cache_followers (
    follower_id  TEXT PRIMARY KEY,
    heartbeat_at BIGINT NOT NULL,
    applied_seq  BIGINT NOT NULL
);
