/**
 * Recognises files that are not safetensors by their first bytes, so that opening one says what
 * it is instead of reading a nonsense header length. PyTorch checkpoints are the common case: the
 * original project saves `torch.save` files, a zip archive (PyTorch >= 1.6) or, with
 * `_use_new_zipfile_serialization=False` and before 1.6, a bare pickle stream. Pickles can run code
 * when loaded, so they are never parsed here: the message says how to convert them with Python.
 */

/** The few lines of Python that turn a PyTorch checkpoint into safetensors (also in docs/formats.md). */
export const TORCH_TO_SAFETENSORS_PYTHON = [
  'import torch',
  'from safetensors.torch import save_file',
  'checkpoint = torch.load("model.pt", map_location="cpu", weights_only=True)',
  '# the original\'s full_state_*.pt holds several state dicts: take the EMA (or model_state_dict)',
  'state = checkpoint.get("ema_state_dict") or checkpoint.get("model_state_dict") or checkpoint',
  'save_file({k: v.contiguous() for k, v in state.items() if torch.is_tensor(v)}, "model.safetensors")',
].join('\n');

export interface ForeignFormat {
  /** What the file is, e.g. 'a PyTorch checkpoint (torch.save zip archive)'. */
  kind: string;
  /** How to get a safetensors file instead. */
  advice: string;
}

/** The Python lines, indented to stand out in an error message. */
const torchToSafetensorsIndented = TORCH_TO_SAFETENSORS_PYTHON.split('\n')
  .map((line) => `    ${line}`)
  .join('\n');

const torchAdvice = `convert it to safetensors with Python (PyTorch and safetensors installed):\n${torchToSafetensorsIndented}`;

/**
 * "PyTorch files (model.pt), which are pickles ...; convert one with Python:" and the lines, for
 * a folder whose `names` include PyTorch checkpoints (.pt, .pth, .bin, .ckpt); undefined when none do.
 */
export function torchFilesNote(names: readonly string[]): string | undefined {
  const torch = names.filter((name) => /\.(pt|pth|bin|ckpt)$/.test(name));
  if (torch.length === 0) return undefined;
  return `PyTorch files (${torch.join(', ')}), which are pickles and not read here; convert one with Python:\n${torchToSafetensorsIndented}`;
}

function startsWith(bytes: Uint8Array, prefix: readonly number[] | string): boolean {
  const want = typeof prefix === 'string' ? [...prefix].map((c) => c.charCodeAt(0)) : prefix;
  return bytes.length >= want.length && want.every((b, i) => bytes[i] === b);
}

/**
 * What a file's first bytes (16 are enough) say it is, when it is a known format other than
 * safetensors. Only asked once a file has failed as safetensors: a valid file whose header is
 * 640 bytes long also starts with 0x80 0x02, like a pickle.
 */
export function recogniseForeignFormat(head: Uint8Array): ForeignFormat | undefined {
  // zip local file header: torch.save's default since PyTorch 1.6 (also .pth, .bin, .ckpt).
  if (startsWith(head, [0x50, 0x4b, 0x03, 0x04])) return { kind: 'a PyTorch checkpoint (torch.save zip archive) or another zip file', advice: torchAdvice };
  // pickle PROTO opcode with protocol 2-5: legacy torch.save (and pickle.dump).
  if (head.length >= 2 && head[0] === 0x80 && head[1] >= 2 && head[1] <= 5) return { kind: 'a Python pickle (legacy torch.save format)', advice: torchAdvice };
  if (startsWith(head, 'version https://git-lfs')) {
    return { kind: 'a Git LFS pointer, not the file itself', advice: 'fetch the real file (git lfs pull, or download it from the hub)' };
  }
  const text = new TextDecoder().decode(head.subarray(0, 16)).trimStart().toLowerCase();
  if (text.startsWith('<!doctype html') || text.startsWith('<html')) {
    return { kind: 'an HTML page (a failed or redirected download?)', advice: 'download the file again' };
  }
  if (startsWith(head, 'GGUF')) return { kind: 'a GGUF file', advice: 'use the safetensors release of the model' };
  if (startsWith(head, [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59])) {
    return { kind: 'a NumPy .npy array', advice: 'save it with safetensors.numpy.save_file instead' };
  }
  return undefined;
}
