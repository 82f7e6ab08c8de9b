// node run_onnxruntime.js ORT_DIR MODEL INPUT.npy OUTPUT.npy
//
// Runs an ONNX model of one f32 input `x` and one f32 output on
// onnxruntime-node (ORT_DIR/node_modules/onnxruntime-node) with its graph
// optimizations off, so that it computes the operators' definitions (its
// fused kernels round activations; docs/importing.md). Reads and writes
// little-endian f32 .npy files in C order.
'use strict';
const fs = require('fs');
const path = require('path');
const [ortDir, model, input, output] = process.argv.slice(2);
const ort = require(path.join(ortDir, 'node_modules', 'onnxruntime-node'));

function readNpy(file) {
  const b = fs.readFileSync(file);
  const headerLen = b.readUInt16LE(8);
  const header = b.toString('latin1', 10, 10 + headerLen);
  if (!header.includes("'descr': '<f4'") || header.includes("'fortran_order': True"))
    throw new Error(file + ': not a C-order f32 array');
  const shape = header.match(/'shape': \(([^)]*)\)/)[1].split(',').filter(s => s.trim()).map(Number);
  const data = b.subarray(10 + headerLen);
  return {shape, data: new Float32Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.length))};
}

function writeNpy(file, shape, data) {
  let header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" +
               shape.join(', ') + (shape.length === 1 ? ',' : '') + '), }';
  header += ' '.repeat(63 - ((header.length + 10) % 64)) + '\n';
  const pre = Buffer.alloc(10);
  pre.write('\x93NUMPY', 0, 'latin1');
  pre[6] = 1;
  pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  fs.writeFileSync(file, Buffer.concat([pre, Buffer.from(header, 'latin1'),
                                        Buffer.from(data.buffer, data.byteOffset, data.byteLength)]));
}

(async () => {
  const session = await ort.InferenceSession.create(model, {graphOptimizationLevel: 'disabled'});
  const x = readNpy(input);
  const r = await session.run({x: new ort.Tensor('float32', x.data, x.shape)});
  const y = r[session.outputNames[0]];
  writeNpy(output, y.dims, y.data);
})().catch(e => { console.error(e.message || e); process.exit(1); });
