import { describe, expect, it } from 'vitest';
import { decodeNode } from './decode.js';
import { z } from './schema.js';
import { parseYaml } from './tree.js';

const schema = z.strictObject({
  token: z.string().optional(),
  tokens: z.array(z.string()).optional(),
  headers: z.record(z.string(), z.string()).optional(),
  name: z.string().optional(),
});

function messages(yaml: string): string[] {
  const { root } = parseYaml(yaml, 'c.yaml');
  const { problems } = decodeNode(schema, root, { path: ['extensions', 'x'], keyLoc: { file: 'c.yaml', line: 1, column: 1 } });
  return problems.map((p) => p.message);
}

describe('decodeNode messages', () => {
  it('quote the offending value for ordinary options', () => {
    expect(messages('name: [a]\ntokens: 5\n').join('\n')).toMatch(/got a list/);
  });

  it('never quote a value under a credential key (token, tokens, headers)', () => {
    const secret = 'cfg-3e9a7d1c5b82';
    for (const yaml of [
      `tokens: ${secret}\n`,
      `token: [${secret}]\ntokens: [${secret}, [x]]\n`,
      `headers: { Authorization: [Bearer, ${secret}] }\n`,
    ]) {
      const out = messages(yaml);
      expect(out.length).toBeGreaterThan(0);
      expect(out.join('\n')).not.toContain(secret);
    }
    expect(messages(`tokens: ${secret}\n`)).toEqual([expect.stringMatching(/expected a list, got a string \(value redacted\)/)]);
  });
});
