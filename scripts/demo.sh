#!/usr/bin/env bash
# Builds lowbit and runs the main job on built-in example data. At this stage
# of the project: round-trip an example program through lowbit-opt, then
# print the facts of the example formats (later stages compile and run a
# quantized model here).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

lowbit_setup
lowbit_log "building"
lowbit_build lowbit-opt lowbit-num

example="$LOWBIT_ROOT/docs/examples/formats.mlir"
echo "== lowbit-opt round trip of docs/examples/formats.mlir"
"$LOWBIT_BUILD/bin/lowbit-opt" "$example" >"$LOWBIT_BUILD/formats.roundtrip.mlir"
"$LOWBIT_BUILD/bin/lowbit-opt" "$LOWBIT_BUILD/formats.roundtrip.mlir" |
  diff -q "$LOWBIT_BUILD/formats.roundtrip.mlir" - >/dev/null ||
  { echo "lowbit: round trip is not stable" >&2; exit 1; }
cat "$LOWBIT_BUILD/formats.roundtrip.mlir"

echo
echo "== formats of the example (exact facts from lowbit-num)"
"$LOWBIT_BUILD/bin/lowbit-num" facts \
  'int<4, unsigned>' 'int<1, bipolar>' 'ternary' 'float<e2m1>' \
  'float<e4m3, fn>' 'float<e5m2, ieee>' 'float<e8m0, unsigned>' \
  'float<e3m3, ieee, bias = 4>' 'posit<8, 0>' 'posit<16, 1>' 'bf16'

echo
echo "== one block of 32 values quantized to MXFP4 (OCP MX v1.0)"
block=""
for i in $(seq 0 31); do
  # a smooth ramp from -3.1 to 3.1 as f32 bit patterns
  block+=" $(/usr/bin/python3 -c "import struct;print('0x%08x'%struct.unpack('<I',struct.pack('<f',-3.1+6.2*$i/31))[0])")"
done
echo "$block" | "$LOWBIT_BUILD/bin/lowbit-num" mx-quantize f4E2M1FN

echo
echo "== a 2x2 block tiled 3x4 times (CuTe blocked product), drawn by lowbit-layout"
product=$("$LOWBIT_BUILD/bin/lowbit-layout" blocked-product '(2,2):(1,2)' '(3,4):(4,1)')
"$LOWBIT_BUILD/bin/lowbit-layout" show "$product"
