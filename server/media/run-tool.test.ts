import { describe, expect, it } from 'vitest';
import { runTool, ToolError } from './run-tool.js';

describe('runTool', () => {
  it('returns stdout as bytes', async () => {
    const { stdout } = await runTool('sh', ['-c', 'printf "\\001\\002hello"'], { timeoutMs: 5000 });
    expect([...stdout]).toEqual([1, 2, ...Buffer.from('hello')]);
  });

  it('reports a failure with the tool’s own last words', async () => {
    const err = await runTool('sh', ['-c', 'echo "first" >&2; echo "moov atom not found" >&2; exit 3'], { timeoutMs: 5000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ToolError);
    expect(err).toMatchObject({ tool: 'sh', failure: 'failed', detail: 'first / moov atom not found' });
  });

  it('kills a tool that runs too long', async () => {
    const started = Date.now();
    const err = await runTool('sleep', ['10'], { timeoutMs: 200 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ failure: 'timeout', message: 'sleep took too long: after 0.2 s' });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('kills a tool that writes more than allowed', async () => {
    const err = await runTool('head', ['-c', '1000000', '/dev/zero'], { timeoutMs: 5000, maxStdoutBytes: 1000 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ failure: 'too-much-output' });
  });

  it('says when a tool is not installed', async () => {
    const err = await runTool('heirloom-no-such-tool', [], { timeoutMs: 5000 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ failure: 'missing', message: 'heirloom-no-such-tool is missing: not installed or not on PATH' });
  });
});
