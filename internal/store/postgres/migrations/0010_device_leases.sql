-- Turns for a user's device list on the homeserver: a device sync pushes
-- the whole list, and must not push a list read before a login's device
-- existed after that device was created. Logins creating devices share the
-- lease (they only add devices, so they may run together); a sync holds it
-- alone. It is a row rather than a database lock so that no connection is
-- held while waiting and it works across processes; holders that died stop
-- blocking once their expiry has passed.
CREATE TABLE user_device_leases (
    user_id          TEXT PRIMARY KEY REFERENCES users (user_id) ON DELETE CASCADE,
    sync_holder      TEXT,
    sync_expires_at  TIMESTAMPTZ,
    logins           INTEGER NOT NULL DEFAULT 0,
    logins_expire_at TIMESTAMPTZ
);
