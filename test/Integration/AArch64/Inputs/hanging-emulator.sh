#!/bin/sh
# An emulator that never finishes (lowbit-run.test: LOWBIT_EMULATOR_TIMEOUT).
exec sleep 60
