// Run by vitest.config.ts in a child process: can this machine give tests the webgpu backend?
// Prints one JSON line: {"available":true,"adapter":"..."} or {"available":false,"reason":"..."}.
import { formatAdapter, selectBackend } from '../../packages/core/src/index.js';

try {
  const choice = await selectBackend({ force: 'webgpu', env: {} });
  console.log(JSON.stringify({ available: true, adapter: formatAdapter(choice.adapter!) }));
} catch (error) {
  const reason = (error as Error).message.split('\n').pop()!.replace(/^\s*webgpu: /, '').trim();
  console.log(JSON.stringify({ available: false, reason }));
}
