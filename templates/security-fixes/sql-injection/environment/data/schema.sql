CREATE TABLE tickets (
    id       INTEGER PRIMARY KEY,
    owner    TEXT NOT NULL,
    status   TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    priority INTEGER NOT NULL CHECK (priority BETWEEN 1 AND 5),
    title    TEXT NOT NULL,
    body     TEXT NOT NULL DEFAULT '',
    created  TEXT NOT NULL
);
CREATE TABLE comments (
    id        INTEGER PRIMARY KEY,
    ticket_id INTEGER NOT NULL REFERENCES tickets (id),
    author    TEXT NOT NULL,
    text      TEXT NOT NULL,
    created   TEXT NOT NULL
);
