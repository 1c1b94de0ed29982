// Times ONNX Runtime (npm onnxruntime-node, CPU) on a model with .npy inputs:
// the peer of bench/models.sh. Prints the median latency in ms.
//   node ort_bench.js MODEL.onnx THREADS REPEATS NAME=INPUT.npy...
'use strict';
const fs = require('fs');
const ort = require('onnxruntime-node');

function readNpy(file) {
  const bytes = fs.readFileSync(file);
  const headerLength = bytes.readUInt16LE(8);
  const header = bytes.slice(10, 10 + headerLength).toString('latin1');
  const descr = /'descr':\s*'([^']+)'/.exec(header)[1];
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header)[1]
    .split(',').map((s) => s.trim()).filter((s) => s.length).map(Number);
  const data = bytes.slice(10 + headerLength);
  const buffer = data.buffer.slice(data.byteOffset, data.byteOffset + data.length);
  if (descr === '<f4') return new ort.Tensor('float32', new Float32Array(buffer), shape);
  if (descr === '<i8') return new ort.Tensor('int64', new BigInt64Array(buffer), shape);
  throw new Error(`${file}: unsupported dtype ${descr}`);
}

async function main() {
  const [model, threads, repeats, ...specs] = process.argv.slice(2);
  const feeds = {};
  for (const spec of specs) {
    const at = spec.indexOf('=');
    feeds[spec.slice(0, at)] = readNpy(spec.slice(at + 1));
  }
  const session = await ort.InferenceSession.create(model, {
    executionProviders: ['cpu'], intraOpNumThreads: Number(threads),
    interOpNumThreads: 1, graphOptimizationLevel: 'all',
  });
  await session.run(feeds);
  const times = [];
  for (let i = 0; i < Number(repeats); ++i) {
    const start = process.hrtime.bigint();
    await session.run(feeds);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  console.log(times[Math.floor(times.length / 2)].toFixed(3));
}

main().catch((error) => {
  console.error(`ort_bench: ${error.message}`);
  process.exit(1);
});
