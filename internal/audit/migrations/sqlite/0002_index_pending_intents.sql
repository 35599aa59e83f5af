-- Intents still awaiting their outcome: few at any time, found at every open to mark the ones a stopped naas
-- left behind.
CREATE INDEX events_pending ON events (id) WHERE result = 'pending';
