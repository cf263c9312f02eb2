# Lays variant $1 over the workspace (run once by the template's setup, then removed).
set -e
cd "$(dirname "$0")/.."
cp -a ".variants/$1/." .
rm -rf .variants
