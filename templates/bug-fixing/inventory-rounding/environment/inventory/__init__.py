"""Stock ledger and valuation report for the warehouse (see README.md)."""

__version__ = "1.4.2"
