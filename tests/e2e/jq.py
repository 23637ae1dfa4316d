#!/usr/bin/env python3
"""Tiny JSON query for the e2e tests: jq.py FILE EXPR prints eval(EXPR) with `d` the parsed JSON.
Strings print bare, everything else as JSON. Exits 1 on a parse error, so bad JSON fails a test."""
import json, sys
d = json.load(open(sys.argv[1]))
v = eval(sys.argv[2], {"d": d, "len": len, "sum": sum, "all": all, "any": any})
print(v if isinstance(v, str) else json.dumps(v))
