-- The foreign key from a password to the one it upgraded had no index: every
-- password written or deleted looked for the passwords pointing at it by
-- scanning the table, which made a bulk import (syn2mas) quadratic on SQLite.
CREATE INDEX user_passwords_upgraded_from ON user_passwords (upgraded_from_id);
