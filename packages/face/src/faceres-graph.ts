import type * as tfc from '@tensorflow/tfjs-core';

interface GraphNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, unknown>;
}

/**
 * faceres (a Keras MobileNet) spells every ReLU6 as `Relu → Minimum(·, 6) → Maximum(·, 0)`. On the tfjs wasm
 * backend the two scalar-broadcast ops are not vectorised: they took ≈ 33 of faceres' ≈ 65 ms per face. Relu6
 * computes the same numbers in one vectorised kernel, so each such chain becomes one Relu6 node (it keeps the name of
 * the chain's last node, so its consumers need no change). A chain is only rewritten when its constants really are
 * 6 and 0 and its intermediate nodes have no other consumer; anything else is left as it was.
 *
 * Returns a copy of the artifacts and how many chains were fused.
 */
export function fuseClippedRelu(artifacts: tfc.io.ModelArtifacts): {
  artifacts: tfc.io.ModelArtifacts;
  fused: number;
} {
  const topology = artifacts.modelTopology as { node?: GraphNode[] } | undefined;
  const nodes = topology?.node;
  if (!nodes || !artifacts.weightSpecs || !artifacts.weightData) return { artifacts, fused: 0 };
  const weightData = Array.isArray(artifacts.weightData)
    ? concatBuffers(artifacts.weightData)
    : artifacts.weightData;
  // Only the chains' scalar constants are read, straight from the buffer: decoding every weight into tensors
  // would grow the wasm heap (which never shrinks) by the whole model.
  const scalars = scalarWeights(weightData, artifacts.weightSpecs);
  const scalar = (input: string | undefined) =>
    input === undefined ? undefined : scalars.get(input.split(':')[0] as string);
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const consumers = new Map<string, number>();
  for (const node of nodes) {
    for (const input of node.input ?? []) {
      const name = input.replace(/^\^/, '').split(':')[0] as string;
      consumers.set(name, (consumers.get(name) ?? 0) + 1);
    }
  }
  const removed = new Set<string>();
  const replaced = new Map<string, GraphNode>();
  for (const max of nodes) {
    if (max.op !== 'Maximum' || max.input?.length !== 2) continue;
    const min = byName.get(max.input[0] as string);
    if (min?.op !== 'Minimum' || min.input?.length !== 2 || scalar(max.input[1]) !== 0) continue;
    const relu = byName.get(min.input[0] as string);
    if (relu?.op !== 'Relu' || relu.input?.length !== 1 || scalar(min.input[1]) !== 6) continue;
    if (consumers.get(min.name) !== 1 || consumers.get(relu.name) !== 1) continue;
    removed.add(min.name);
    removed.add(relu.name);
    replaced.set(max.name, {
      name: max.name,
      op: 'Relu6',
      input: [...relu.input],
      attr: { T: relu.attr?.T },
    });
  }
  if (replaced.size === 0) return { artifacts, fused: 0 };
  const node = nodes.filter((n) => !removed.has(n.name)).map((n) => replaced.get(n.name) ?? n);
  return {
    artifacts: {
      ...artifacts,
      modelTopology: { ...topology, node } as tfc.io.ModelArtifacts['modelTopology'],
    },
    fused: replaced.size,
  };
}

const BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };

/** The values of the one-element weights (float32, or float16/uint8/uint16-quantised); undefined past anything unknown. */
function scalarWeights(
  data: ArrayBuffer,
  specs: readonly tfc.io.WeightsManifestEntry[],
): Map<string, number> {
  const view = new DataView(data);
  const out = new Map<string, number>();
  let at = 0;
  for (const spec of specs) {
    const count = spec.shape.reduce((n, d) => n * d, 1);
    const q = spec.quantization;
    const bytes = BYTES[q?.dtype ?? spec.dtype];
    if (bytes === undefined || spec.dtype === 'string') break; // unknown layout: stop rather than misread
    if (count === 1 && at + bytes <= data.byteLength) {
      if (!q && spec.dtype === 'float32') out.set(spec.name, view.getFloat32(at, true));
      else if (q?.dtype === 'float16') out.set(spec.name, halfToFloat(view.getUint16(at, true)));
      else if (q?.dtype === 'uint8' && q.scale !== undefined && q.min !== undefined)
        out.set(spec.name, view.getUint8(at) * q.scale + q.min);
      else if (q?.dtype === 'uint16' && q.scale !== undefined && q.min !== undefined)
        out.set(spec.name, view.getUint16(at, true) * q.scale + q.min);
    }
    at += count * bytes;
  }
  return out;
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

function concatBuffers(buffers: ArrayBuffer[]): ArrayBuffer {
  const out = new Uint8Array(buffers.reduce((n, b) => n + b.byteLength, 0));
  let at = 0;
  for (const b of buffers) {
    out.set(new Uint8Array(b), at);
    at += b.byteLength;
  }
  return out.buffer;
}
