/** The CLI run in-process, as a person would run it, with what it prints captured. */
import { Writable } from 'node:stream';
import { main } from '../../lib/cli/main.js';

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

export async function runCli(env: NodeJS.ProcessEnv, argv: readonly string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await main([...argv], { stdout, stderr, env });
  return { code, out: stdout.text, err: stderr.text };
}
