# Sealed tests of bug-fixing/unified-diff. canary: SYNTH-CANARY-dd9b6382d2c16299
import sys

sys.path.insert(0, "/workspace")
