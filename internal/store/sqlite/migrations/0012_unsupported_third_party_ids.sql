-- Third-party IDs other than email (phone numbers, mostly) that syn2mas
-- brings over from Synapse's user_threepids: nothing uses them yet, but
-- they are kept rather than lost, as upstream does.
CREATE TABLE user_unsupported_third_party_ids (
    user_id    TEXT NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    medium     TEXT NOT NULL,
    address    TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, medium, address)
);
