# Lays variant $1 over the workspace (run once by the template's setup, then removed).
set -e
cd "$(dirname "$0")/.."
cp -a ".variants/$1/." .
case "$1" in
    2) rm -f src/config.js ;;
esac
rm -rf .variants
