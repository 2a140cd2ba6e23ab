/**
 * Started by test/integration/exit-with-parent.test.ts: starts the emulator the way the launcher starts our Node
 * services, prints its pid, and waits to be killed. argv: <port> <exitWithParent: yes|no>.
 */
import path from 'node:path';
import { ManagedProcess } from '../../src/stack/process';

const [port, exitWithParent] = process.argv.slice(2);
const child = new ManagedProcess({
  name: 'emulator',
  command: process.execPath,
  args: [
    '--import',
    'tsx',
    path.join(__dirname, '..', '..', 'src', 'emulator', 'main.ts'),
    `--port=${port}`,
    '--customers=1',
    '--transactions=0',
  ],
  exitWithParent: exitWithParent === 'yes',
  onLine: (line) => console.log(line),
});
console.log(`child pid ${child.pid}`);
setInterval(() => undefined, 60_000);
