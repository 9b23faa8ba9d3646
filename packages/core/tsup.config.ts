import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.base';

// tsup leaves dependencies and peerDependencies out of the bundle, not optionalDependencies:
// the WebGPU packages stay imports, resolved (or found missing) on the user's machine.
export default defineConfig({ ...packageBuild, external: ['webgpu', '@tensorflow/tfjs-backend-webgpu', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'] });
