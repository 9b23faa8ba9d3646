/**
 * A pipeline option or part that cannot work. `option` names it ('width', 'sampler',
 * 'autoencoder', ...) and `detail` says what is wrong, so that a command line can put its own
 * flag in front; the message is `<option>: <detail>`.
 */
export class PipelineOptionError extends Error {
  constructor(
    readonly option: string,
    readonly detail: string,
  ) {
    super(`${option}: ${detail}`);
    this.name = 'PipelineOptionError';
  }
}
