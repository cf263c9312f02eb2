# Lays variant $1 over the workspace and creates the sample database (run once by the
# template's setup, then removed).
set -e
cd "$(dirname "$0")/.."
cp -a ".variants/$1/." .
rm -rf .variants
rm -f data/tickets.db
sqlite3 data/tickets.db < data/schema.sql
sqlite3 data/tickets.db < data/sample.sql
