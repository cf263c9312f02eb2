# Oracle for security-fixes/sql-injection: run in /workspace by the agent's shell.
# Rewrites bin/ticket so that every text reaches SQL only as a literal with all quotes doubled
# (LIKE patterns with \ % _ escaped and ESCAPE '\'), ids, priorities, statuses and sort fields
# are checked against fixed patterns or lists, texts with newlines/tabs are refused, SQL goes
# to sqlite3 as an argument (never as stdin, where lines starting with "." are dot-commands),
# and the close log is written with printf instead of eval.
cd /workspace &&
cat > bin/ticket <<'BASH' &&
#!/bin/bash
# ticket: the helpdesk command that customers reach through `ssh help@...` (see README.md).
# The ssh forced command sets TICKET_USER to the customer's account; everything else on the
# command line comes from the customer.
set -u

DB=${TICKET_DB:-/workspace/data/tickets.db}
LOG=${TICKET_LOG:-/workspace/data/ticket.log}
ME=${TICKET_USER:-}
FIELDS="id, status, priority, title"

die() {
    echo "ticket: $2" >&2
    exit "$1"
}

# An SQL string literal holding $1 exactly.
q() {
    local s=${1//\'/\'\'}
    printf "'%s'" "$s"
}

# A LIKE pattern (for ESCAPE '\') matching $1 literally anywhere in a text.
like() {
    local s=$1
    s=${s//[\\]/\\\\}
    s=${s//[%]/\\%}
    s=${s//[_]/\\_}
    q "%$s%"
}

sql() {
    sqlite3 -batch -bail -tabs -noheader "$DB" "$1" || die 3 "database error"
}

need_id() {
    [[ $1 =~ ^[1-9][0-9]{0,17}$ ]] || die 2 "not a ticket id: $1"
}

one_line() {
    [[ -n $1 && $1 != *[$'\n\r\t']* ]] || die 2 "$2 must be one non-empty line without tabs"
}

# Exits with 1 unless ticket $1 exists and belongs to the caller.
own() {
    [ -n "$(sql "SELECT 1 FROM tickets WHERE id = $1 AND owner = $(q "$ME");")" ] ||
        die 1 "no such ticket $1"
}

cmd_list() {
    local status=open sort=id
    while [ $# -gt 0 ]; do
        case $1 in
            --status) [ $# -ge 2 ] || die 2 "--status needs a value"; status=$2; shift 2 ;;
            --sort) [ $# -ge 2 ] || die 2 "--sort needs a value"; sort=$2; shift 2 ;;
            *) die 2 "list: unknown option $1" ;;
        esac
    done
    local where="owner = $(q "$ME")"
    case $status in
        open | closed) where+=" AND status = '$status'" ;;
        all) ;;
        *) die 2 "bad status: $status" ;;
    esac
    case $sort in
        id | priority | created | title) ;;
        *) die 2 "bad sort field: $sort" ;;
    esac
    sql "SELECT $FIELDS FROM tickets WHERE $where ORDER BY $sort, id;"
}

cmd_search() {
    [ $# -eq 1 ] || die 2 "usage: ticket search TEXT"
    one_line "$1" "the search text"
    local pat
    pat=$(like "$1")
    sql "SELECT $FIELDS FROM tickets WHERE owner = $(q "$ME")
         AND (title LIKE $pat ESCAPE '\\' OR body LIKE $pat ESCAPE '\\') ORDER BY id;"
}

cmd_show() {
    [ $# -eq 1 ] || die 2 "usage: ticket show ID"
    need_id "$1"
    own "$1"
    sql "SELECT $FIELDS, body FROM tickets WHERE id = $1;"
    sql "SELECT 'comment', author, text FROM comments WHERE ticket_id = $1 ORDER BY id;"
}

cmd_add() {
    [ $# -eq 3 ] || die 2 "usage: ticket add PRIORITY TITLE BODY"
    [[ $1 =~ ^[1-5]$ ]] || die 2 "priority must be 1 to 5"
    one_line "$2" "the title"
    one_line "$3" "the body"
    sql "INSERT INTO tickets (owner, status, priority, title, body, created)
         VALUES ($(q "$ME"), 'open', $1, $(q "$2"), $(q "$3"), datetime('now'));
         SELECT last_insert_rowid();"
}

cmd_comment() {
    [ $# -eq 2 ] || die 2 "usage: ticket comment ID TEXT"
    need_id "$1"
    one_line "$2" "the comment"
    own "$1"
    sql "INSERT INTO comments (ticket_id, author, text, created)
         VALUES ($1, $(q "$ME"), $(q "$2"), datetime('now'));"
}

cmd_close() {
    [ $# -eq 1 ] || die 2 "usage: ticket close ID"
    need_id "$1"
    own "$1"
    local title
    title=$(sql "SELECT title FROM tickets WHERE id = $1;")
    sql "UPDATE tickets SET status = 'closed' WHERE id = $1;"
    printf '%s %s closed %s: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$ME" "$1" "$title" >> "$LOG"
}

[ -n "$ME" ] || die 2 "TICKET_USER is not set"
[[ $ME =~ ^[a-z][a-z0-9_-]{0,31}$ ]] || die 2 "bad TICKET_USER"
[ -f "$DB" ] || die 2 "no database at $DB"
[ $# -ge 1 ] || die 2 "usage: ticket list|search|show|add|comment|close ..."
command=$1
shift
case $command in
    list | search | show | add | comment | close) "cmd_$command" "$@" ;;
    *) die 2 "unknown command: $command" ;;
esac
BASH
chmod +x bin/ticket &&
TICKET_USER=alice bin/ticket list --status all
