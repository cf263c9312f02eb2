# Sealed tests of security-fixes/sql-injection. canary: SYNTH-CANARY-31091ef87b1f1f92
"""Runs /workspace/bin/ticket against a fresh database with several customers. As `mallory`
it tries SQL injection through every argument, sqlite3 dot-commands smuggled in with newlines,
and shell injection through stored titles; nothing of other customers may leak or change and no
command may run. Then it checks the documented behaviour for ordinary use, with awkward texts."""

import os
import random
import secrets
import sqlite3
import subprocess
from pathlib import Path

import pytest

TICKET = "/workspace/bin/ticket"
SCHEMA = """
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
"""
OWNERS = ["alice", "bob", "carol", "mallory"]
WORDS = ["printer", "vpn", "laptop", "mail", "password", "invoice", "screen", "wifi", "backup",
         "100%", "O'Brien", "build_host", "C:\\temp", "naïve", "Ünïcode", "a_b%c"]


class Site:
    def __init__(self, tmp_path, seed=None):
        self.dir = tmp_path
        self.db = tmp_path / "tickets.db"
        self.log = tmp_path / "ticket.log"
        self.marks = tmp_path / "marks"
        self.marks.mkdir()
        rng = random.Random(seed)
        con = sqlite3.connect(self.db)
        con.executescript(SCHEMA)
        self.tokens = {}
        tid = 0
        for owner in OWNERS:
            token = f"{owner.upper()}-{secrets.token_hex(4)}"
            self.tokens[owner] = token
            for _ in range(rng.randint(4, 9)):
                tid += 1
                w = rng.sample(WORDS, 2)
                con.execute("INSERT INTO tickets VALUES (?,?,?,?,?,?,?)", (
                    tid, owner, rng.choice(["open", "open", "closed"]), rng.randint(1, 5),
                    f"{w[0]} {w[1]} {token}", f"{owner} says {w[1]} broke; ref {token}",
                    f"2024-0{rng.randint(1, 9)}-1{rng.randint(0, 9)} 10:00:00"))
        for cid in range(1, 20):
            t = rng.randint(1, tid)
            owner = con.execute("SELECT owner FROM tickets WHERE id=?", (t,)).fetchone()[0]
            con.execute("INSERT INTO comments VALUES (?,?,?,?,?)",
                        (cid, t, "support", f"re {self.tokens[owner]} #{cid}", "2024-10-01 09:00:00"))
        con.commit()
        con.close()

    def run(self, user, *args):
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(self.dir), "TICKET_DB": str(self.db),
               "TICKET_LOG": str(self.log), "TICKET_USER": user, "MARKS": str(self.marks)}
        return subprocess.run([TICKET, *args], env=env, cwd=self.marks, capture_output=True,
                              text=True, timeout=30)

    def query(self, sql, params=()):
        con = sqlite3.connect(self.db)
        try:
            return con.execute(sql, params).fetchall()
        finally:
            con.close()

    def others(self, user):
        """Every row that belongs to someone other than `user`, and the tables themselves."""
        return (
            self.query("SELECT * FROM tickets WHERE owner <> ? ORDER BY id", (user,)),
            self.query("SELECT c.* FROM comments c WHERE c.ticket_id IN "
                       "(SELECT id FROM tickets WHERE owner <> ?) ORDER BY c.id", (user,)),
            self.query("SELECT name, sql FROM sqlite_master ORDER BY name"),
        )

    def ids(self, user):
        return [r[0] for r in self.query("SELECT id FROM tickets WHERE owner=? ORDER BY id", (user,))]

    def lines(self, sql, params=()):
        return "".join("\t".join(str(v) for v in row) + "\n" for row in self.query(sql, params))


@pytest.fixture
def site(tmp_path):
    return Site(tmp_path)


def assert_no_leak(site, res, user="mallory"):
    text = res.stdout + res.stderr
    for owner, token in site.tokens.items():
        if owner != user:
            assert token not in text, f"leaked {owner}'s data: {text[:500]!r}"


def assert_nothing_ran(site):
    made = sorted(p.name for p in site.marks.iterdir())
    assert not made, f"the attack ran commands (created {made})"


def attack(site, *args):
    before = site.others("mallory")
    res = site.run("mallory", *args)
    assert_no_leak(site, res)
    assert_nothing_ran(site)
    assert site.others("mallory") == before, f"ticket {args!r} changed other customers' data"
    return res


SEARCH_ATTACKS = [
    "' OR 1=1 OR title LIKE '",
    "%' OR owner <> '",
    "x') OR 1=1 --",
    "'' OR 1=1) OR (1=1) --",
    "x'') OR 1=1) OR (1=1 --",
    "') UNION SELECT id, owner, priority, title || body FROM tickets --",
    "%",
    "_",
]


@pytest.mark.parametrize("text", SEARCH_ATTACKS)
def test_search_cannot_be_injected(site, text):
    res = attack(site, "search", text)
    assert res.returncode == 0, res.stderr
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    assert res.stdout == site.lines(
        "SELECT id, status, priority, title FROM tickets WHERE owner = 'mallory' AND "
        "(title LIKE ? ESCAPE '\\' OR body LIKE ? ESCAPE '\\') ORDER BY id", (pattern, pattern))


def test_ids_cannot_be_injected(site):
    mine = site.ids("mallory")[0]
    theirs = site.ids("alice")[0]
    for arg in ["1 OR 1=1", f"{theirs}", f"{mine} OR id = {theirs}", f"{theirs} --", "0 UNION SELECT 1,2,3,4,5",
                f"{mine}; UPDATE tickets SET owner = 'mallory'", "-1 OR owner <> 'mallory'", f" {theirs}",
                f"{mine} AND 0 UNION SELECT id, owner, priority, title, body FROM tickets"]:
        for command in (["show", arg], ["close", arg], ["comment", arg, "hello"]):
            res = attack(site, *command)
            assert res.returncode in (1, 2), (command, res.returncode, res.stdout)
            assert res.stdout == "", (command, res.stdout)


def test_list_options_cannot_be_injected(site):
    for args in (["--sort", "title; UPDATE tickets SET owner = 'mallory'"],
                 ["--sort", "id UNION SELECT id, owner, priority, title FROM tickets"],
                 ["--sort", "(SELECT 1)"],
                 ["--status", "open' OR '1'='1"],
                 ["--status", "all' UNION SELECT id, owner, priority, title FROM tickets --"],
                 ["--status", "closed' OR owner <> 'mallory"]):
        res = attack(site, "list", *args)
        assert res.returncode == 2, (args, res.returncode, res.stdout)
        assert res.stdout == ""


def test_add_cannot_be_injected(site):
    for prio in ["1, (SELECT group_concat(title) FROM tickets), 'x', datetime('now')) --",
                 "0", "6", "1 ", "2; DELETE FROM tickets", "(SELECT 3)"]:
        before = site.query("SELECT count(*) FROM tickets")
        res = attack(site, "add", prio, "title", "body")
        assert res.returncode == 2, (prio, res.returncode)
        assert site.query("SELECT count(*) FROM tickets") == before


def test_newlines_cannot_smuggle_commands(site):
    mine = site.ids("mallory")[0]
    for evil in ["x');\n.shell touch \"$MARKS/shell\"\n--", "x'\n.system touch marks-system\n",
                 "a\n.once |touch \"$MARKS/once\"\nSELECT 1;", "t');\n.output marks-out\nSELECT title FROM tickets;\n--",
                 "tab\there"]:
        for command in (["add", "1", evil, "body"], ["add", "1", "title", evil], ["comment", str(mine), evil],
                        ["search", evil]):
            res = attack(site, *command)
            assert res.returncode == 2, (command, res.returncode, res.stderr)
    assert not (site.marks / "marks-out").exists() and not Path("/workspace/marks-out").exists()


TRICKY = [
    "It's 100% broken; DROP TABLE tickets; --",
    "x', 'closed', 1, 'pwn', 'b', datetime('now')); UPDATE tickets SET owner='mallory'; --",
    "$(touch \"$MARKS/dollar\") `touch \"$MARKS/backtick\"` ${IFS}",
    "\"double\" quotes \\ backslash \\' and '' doubled",
    "C:\\temp\\new folder 50%_off",
    "naïve Ünïcode ☃",
]


@pytest.mark.parametrize("title", TRICKY)
def test_tricky_texts_are_stored_verbatim(site, title):
    res = attack(site, "add", "3", title, title[::-1])
    assert res.returncode == 0, res.stderr
    new_id = int(res.stdout.strip())
    assert site.query("SELECT owner, status, priority, title, body FROM tickets WHERE id=?", (new_id,)) == \
        [("mallory", "open", 3, title, title[::-1])]
    res = attack(site, "search", title)
    assert res.stdout == f"{new_id}\topen\t3\t{title}\n"
    res = attack(site, "comment", str(new_id), title)
    assert res.returncode == 0, res.stderr
    res = attack(site, "show", str(new_id))
    assert res.stdout == f"{new_id}\topen\t3\t{title}\t{title[::-1]}\ncomment\tmallory\t{title}\n"
    res = attack(site, "close", str(new_id))
    assert res.returncode == 0, res.stderr
    assert site.query("SELECT status FROM tickets WHERE id=?", (new_id,)) == [("closed",)]
    last = site.log.read_text().splitlines()[-1]
    assert last.split(" ", 1)[1] == f"mallory closed {new_id}: {title}", last


@pytest.mark.parametrize("user", ["alice", "bob"])
def test_list_works(site, user):
    for status in ("open", "closed", "all", None):
        for sort in ("id", "priority", "created", "title", None):
            args = ["list"] + (["--status", status] if status else []) + (["--sort", sort] if sort else [])
            res = site.run(user, *args)
            assert res.returncode == 0, (args, res.stderr)
            assert_no_leak(site, res, user)
            where = "" if (status or "open") == "all" else f" AND status = '{status or 'open'}'"
            assert res.stdout == site.lines(
                f"SELECT id, status, priority, title FROM tickets WHERE owner = ?{where} "
                f"ORDER BY {sort or 'id'}, id", (user,)), args


def test_search_works(site):
    for user in ("alice", "carol"):
        for text in ["o'brien", "100%", "build_h", "c:\\TEMP", "PRINTER", site.tokens[user].lower(), "%",
                     "naïve", "says"]:
            res = site.run(user, "search", text)
            assert res.returncode == 0, res.stderr
            pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            assert res.stdout == site.lines(
                "SELECT id, status, priority, title FROM tickets WHERE owner = ? AND "
                "(title LIKE ? ESCAPE '\\' OR body LIKE ? ESCAPE '\\') ORDER BY id", (user, pattern, pattern)), text


def test_show_comment_close_own_tickets(site):
    for user in ("alice", "bob"):
        tid = random.choice(site.ids(user))
        res = site.run(user, "comment", str(tid), f"thanks, {user}'s fine")
        assert res.returncode == 0, res.stderr
        res = site.run(user, "show", str(tid))
        assert res.returncode == 0, res.stderr
        expected = site.lines("SELECT id, status, priority, title, body FROM tickets WHERE id=?", (tid,))
        expected += site.lines("SELECT 'comment', author, text FROM comments WHERE ticket_id=? ORDER BY id", (tid,))
        assert res.stdout == expected
        assert f"comment\t{user}\tthanks, {user}'s fine\n" in res.stdout
        res = site.run(user, "close", str(tid))
        assert res.returncode == 0
        assert site.query("SELECT status FROM tickets WHERE id=?", (tid,)) == [("closed",)]
        other = site.ids("carol")[0]
        res = site.run(user, "show", str(other))
        assert res.returncode == 1 and res.stdout == ""


def test_usage_errors(site):
    for args in (["show", "abc"], ["add", "1", "", "b"], ["frobnicate"], ["list", "--sort", "owner"],
                 ["list", "--status", "pending"], ["add", "9", "t", "b"]):
        res = site.run("alice", *args)
        assert res.returncode == 2, (args, res.returncode)
    assert site.run("alice", "show", "99999").returncode == 1
