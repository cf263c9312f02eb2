# Oracle for shell-sysadmin/service-config: run in /workspace by the agent's shell.
# Rewrites config/service.ini as docs/OPERATIONS.md asks: one [storage] section, a numeric
# port, `%%` for a literal percent sign, the real data folder, a valid log level, a writable
# log file and the option name the code reads (page_size).
cd /workspace &&
cat > config/service.ini <<'INI' &&
# Catalog service configuration. What each setting must be on this host: docs/OPERATIONS.md.

[server]
host = 127.0.0.1
port = 8089
banner = Catalog service - 100%% local stock

[storage]
data_dir = /workspace/data
catalog_file = catalog.json
# added for the cache rollout
cache_seconds = 30

[http]
page_size = 20
cors_origin = *

[logging]
level = INFO
file = /workspace/logs/catalog.log
INI
python3 -m catalog --config config/service.ini --check
