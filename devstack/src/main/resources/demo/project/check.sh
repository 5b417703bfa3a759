#!/bin/sh
# The demo mission's check, run by the reviewer on every merge: whatever exists must work.
set -e
if [ -f greet.sh ]; then test "$(sh greet.sh fleet)" = "Hello, fleet!"; fi
if [ -f test.sh ]; then sh test.sh; fi
echo "check ok"
