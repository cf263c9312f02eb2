# Sealed tests of bug-fixing/inventory-rounding. canary: SYNTH-CANARY-f0d1827f926c097c
import sys

sys.path.insert(0, "/workspace")
