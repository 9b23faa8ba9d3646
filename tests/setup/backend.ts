// Every test file runs on the backend CI has: wasm (falls back to cpu), or DIT_BACKEND.
import { selectBackend } from '@dit/core';

await selectBackend({ order: ['wasm', 'cpu'] });
