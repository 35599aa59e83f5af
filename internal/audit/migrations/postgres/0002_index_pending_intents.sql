-- The PostgreSQL twin of sqlite/0002_index_pending_intents.sql.
-- Intents still awaiting their outcome: few at any time, found by every lease renewal to mark the ones of
-- replicas that are gone.
CREATE INDEX events_pending ON events (replica, id) WHERE result = 'pending';
