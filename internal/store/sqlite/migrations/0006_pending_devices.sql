-- Devices a login is creating on the homeserver before the session that
-- holds them is committed. The device sync pushes them along with the
-- devices of active sessions, so that a sync racing with the login does not
-- delete the brand-new device. The login removes its rows in the
-- transaction that commits the session; rows of logins that died in
-- between expire and are deleted by a periodic job.

CREATE TABLE user_pending_devices (
    user_id    TEXT NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    device_id  TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, device_id)
);
CREATE INDEX user_pending_devices_expires ON user_pending_devices (expires_at);
