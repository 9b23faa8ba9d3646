/** A problem with a safetensors file; names the file and, where known, the tensor. */
export class SafetensorsError extends Error {
  constructor(
    readonly file: string,
    message: string,
    readonly tensor?: string,
  ) {
    super(`${file}${tensor ? ` [tensor '${tensor}']` : ''}: ${message}`);
    this.name = 'SafetensorsError';
  }
}
