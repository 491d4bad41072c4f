"""The local agent: ActivityWatch's REST API over a private SQLite file (no Django here).

`meridian agent` runs on a member's own computer. Times are kept as integer microseconds
since the Unix epoch (UTC), so arithmetic is exact like Python's ``timedelta``.
"""

VERSION = "v0.1.0 (meridian-agent)"
