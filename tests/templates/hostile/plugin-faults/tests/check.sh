#!/bin/bash
# Sealed check of hostile/plugin-faults: /workspace/done.txt holds `ok`.
# canary: SYNTH-CANARY-5c1e7d0a9b3f4e21
content="$(cat /workspace/done.txt 2>/dev/null)"
if [ "${content%$'\n'}" = "ok" ]; then
    echo "done.txt holds ok"
    exit 0
fi
echo "done.txt is missing or holds: ${content:0:80}"
exit 1
