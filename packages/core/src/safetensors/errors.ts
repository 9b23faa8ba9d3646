/** A problem with a safetensors file; names the file and, where known, the tensor. */
export class SafetensorsError extends Error {
  constructor(
    readonly file: string,
    /** The problem alone, without the file and tensor. */
    readonly detail: string,
    readonly tensor?: string,
  ) {
    super(`${file}${tensor ? ` [tensor '${tensor}']` : ''}: ${detail}`);
    this.name = 'SafetensorsError';
  }
}
