# Sealed tests of bug-fixing/http-routing. canary: SYNTH-CANARY-55aa1a3f5ce8d819
import sys

sys.path.insert(0, "/workspace")
