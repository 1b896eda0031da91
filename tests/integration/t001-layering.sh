#!/bin/bash
# Module layering: every #include in lib/ follows the order written in
# docs/ARCHITECTURE.md (no cycles, no private header used outside its module).
exec python3 "$(dirname "$0")/../../scripts/check-layering.py"
