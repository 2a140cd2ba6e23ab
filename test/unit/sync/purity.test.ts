import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** `src/sync` is pure: workflows and the API may both call it, so it must not reach for I/O or the clock. */
describe('src/sync purity', () => {
  const dir = path.join(__dirname, '../../../src/sync');
  const files = readdirSync(dir).filter((name) => name.endsWith('.ts'));

  it('has modules to check', () => {
    expect(files).toEqual(expect.arrayContaining(['fields.ts', 'merge.ts', 'transactions.ts']));
  });

  it.each(files)('%s imports only sibling modules and never reads the clock or randomness', (file) => {
    const source = readFileSync(path.join(dir, file), 'utf8');
    const imports = [...source.matchAll(/from '([^']+)'/g)].map((match) => match[1]);
    for (const specifier of imports) expect(specifier).toMatch(/^\.\/[\w-]+$/);
    expect(source).not.toMatch(/\bDate\.now\(|new Date\(\)|Math\.random\(|process\.|require\(/);
  });
});
