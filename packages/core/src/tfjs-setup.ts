// The union package registers every gradient and chained op, in both its ESM and its
// CommonJS build. `@tensorflow/tfjs-core` alone registers none in CommonJS, so training
// would fail for `require()` consumers without this import.
import '@tensorflow/tfjs';
