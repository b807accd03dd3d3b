import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type * as tfc from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { fuseClippedRelu } from '../src/faceres-graph.js';

interface Node {
  name: string;
  op: string;
  input?: string[];
}

/** A graph `x → Relu → Minimum(·, hi) → Maximum(·, lo) → Identity` with float32 scalar constants. */
function chain(hi: number, lo: number, extra: Node[] = []): tfc.io.ModelArtifacts {
  const weights = new Float32Array([hi, lo]);
  return {
    modelTopology: {
      node: [
        { name: 'x', op: 'Placeholder' },
        { name: 'hi', op: 'Const' },
        { name: 'lo', op: 'Const' },
        { name: 'relu', op: 'Relu', input: ['x'] },
        { name: 'min', op: 'Minimum', input: ['relu', 'hi'] },
        { name: 'max', op: 'Maximum', input: ['min', 'lo'] },
        { name: 'out', op: 'Identity', input: ['max'] },
        ...extra,
      ],
    },
    weightSpecs: [
      { name: 'hi', shape: [], dtype: 'float32' },
      { name: 'lo', shape: [], dtype: 'float32' },
    ],
    weightData: weights.buffer,
  };
}

const nodesOf = (a: tfc.io.ModelArtifacts) => (a.modelTopology as { node: Node[] }).node;

describe('fuseClippedRelu', () => {
  it('turns Relu → Minimum(6) → Maximum(0) into one Relu6 that keeps the last node name', () => {
    const { artifacts, fused } = fuseClippedRelu(chain(6, 0));
    expect(fused).toBe(1);
    const nodes = nodesOf(artifacts);
    expect(nodes.map((n) => n.op)).not.toContain('Minimum');
    expect(nodes.find((n) => n.name === 'max')).toMatchObject({ op: 'Relu6', input: ['x'] });
    expect(nodes.find((n) => n.name === 'out')).toMatchObject({ input: ['max'] });
  });

  it('leaves chains with other bounds, or whose inner nodes are used elsewhere, unchanged', () => {
    const original = chain(5, 0);
    expect(fuseClippedRelu(original)).toEqual({ artifacts: original, fused: 0 });
    expect(fuseClippedRelu(chain(6, 1)).fused).toBe(0);
    const shared = chain(6, 0, [{ name: 'other', op: 'Identity', input: ['relu'] }]);
    expect(fuseClippedRelu(shared).fused).toBe(0);
  });

  it('reads float16-quantised constants, as in the faceres model Human ships', () => {
    const root = path.resolve(
      path.dirname(createRequire(import.meta.url).resolve('@vladmandic/human')),
      '..',
    );
    const json = JSON.parse(
      readFileSync(path.join(root, 'models', 'faceres.json'), 'utf8'),
    ) as tfc.io.ModelJSON;
    const bin = readFileSync(path.join(root, 'models', 'faceres.bin'));
    const weightSpecs = json.weightsManifest.flatMap((g) => g.weights);
    const artifacts: tfc.io.ModelArtifacts = {
      modelTopology: json.modelTopology,
      weightSpecs,
      weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength),
    };
    const clips = nodesOf(artifacts).filter((n) => n.op === 'Maximum').length;
    const { artifacts: fusedModel, fused } = fuseClippedRelu(artifacts);
    expect(clips).toBeGreaterThan(0);
    expect(fused).toBe(clips);
    const ops = nodesOf(fusedModel).map((n) => n.op);
    expect(ops).not.toContain('Maximum');
    expect(ops).not.toContain('Minimum');
    expect(ops.filter((op) => op === 'Relu6')).toHaveLength(clips);
  });
});
