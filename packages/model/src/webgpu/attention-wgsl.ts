/**
 * WGSL shared by the attention kernels (flash-attention-forward.ts, flash-attention-backward.ts):
 * reading one head's slice of the fused qkv rows with the split-half RoPE rotation of SPEC
 * section 2 applied on the fly, so no rotated copy of q or k is ever stored, and the key/value
 * tile that the programs with one thread per query row stream through shared memory. Arrays are
 * vec4<f32>; `HEAD_VEC` = head_dim / 4 and `HALF_VEC` = head_dim / 8 ({@link headConstantsWgsl};
 * head_dim % 8 == 0, so the two halves are whole vec4s).
 *
 * The rotation is x * cos + concat(-x2, x1) * sin with the tables of rope.ts (each half-size
 * angle written twice); its transpose (the backward pass) is
 * concat(x1 c1 + x2 s2, x2 c2 - x1 s1), as internals/kernels/head-layout-kernels.ts' qkv gradient.
 */

/** HEAD_VEC and HALF_VEC for a head dim. */
export const headConstantsWgsl = (headDim: number) => /* wgsl */ `
  const HEAD_VEC = ${headDim / 4};
  const HALF_VEC = ${headDim / 8};
`;

export const ROPE_WGSL = /* wgsl */ `
  // Vec4 c of head-dim row at \`base\` (vec4 index) of token n, rotated by RoPE.
  fn ropeRead(base : i32, n : i32, c : i32) -> vec4<f32> {
    let upper = c >= HALF_VEC;
    let partner = select(c + HALF_VEC, c - HALF_VEC, upper);
    let sign = select(-1.0, 1.0, upper);
    let table = n * HEAD_VEC + c;
    return qkv[base + c] * cosTable[table] + sign * qkv[base + partner] * sinTable[table];
  }

  // Vec4 c of the transposed rotation of a gradient row g (its partner half is \`partner\`).
  fn ropeTransposed(value : vec4<f32>, partnerValue : vec4<f32>, n : i32, c : i32) -> vec4<f32> {
    let upper = c >= HALF_VEC;
    let partner = select(c + HALF_VEC, c - HALF_VEC, upper);
    let sign = select(1.0, -1.0, upper);
    return value * cosTable[n * HEAD_VEC + c] + sign * partnerValue * sinTable[n * HEAD_VEC + partner];
  }
`;

/** Key tile sizes of the query-row programs, largest first. */
export const KEY_TILES = [32, 16, 8, 4] as const;

/** Bytes of workgroup storage a key tile takes (k and v rows). */
const keyTileBytes = (tile: number, headDim: number) => 2 * tile * headDim * 4;

/** Keys per shared-memory tile of the query-row programs: as many as the workgroup storage holds (k and v rows), at most 32; 0 when not even 4 fit. */
export function keyTileSize(headDim: number, workgroupStorageBytes: number): number {
  return KEY_TILES.find((tile) => keyTileBytes(tile, headDim) <= workgroupStorageBytes) ?? 0;
}

/**
 * The key tile to run: `forced` when given (tests run every size on one device; it must be one of
 * KEY_TILES and fit), else the largest that fits.
 */
export function chooseKeyTile(headDim: number, workgroupStorageBytes: number, forced: number | undefined, kernel: string): number {
  if (forced === undefined) return keyTileSize(headDim, workgroupStorageBytes);
  if (!(KEY_TILES as readonly number[]).includes(forced)) throw new Error(`${kernel}: keyTile must be one of ${KEY_TILES.join(', ')}, got ${forced}`);
  if (keyTileBytes(forced, headDim) > workgroupStorageBytes) {
    throw new Error(`${kernel}: keyTile ${forced} at head dim ${headDim} needs ${keyTileBytes(forced, headDim)} bytes of workgroup storage, the device has ${workgroupStorageBytes}`);
  }
  return forced;
}

/**
 * The key and value tiles of a program with one thread per query row (QUERY_TILE threads), and
 * `loadKeyValueTile(b, h, start)`, which fills them with keys start .. start + KEY_TILE of
 * sample b, head h (keys RoPE-rotated, zeros past the last token); every thread takes part, so
 * a workgroupBarrier must follow. Needs ROPE_WGSL, KEY_TILE, QUERY_TILE and the uniforms
 * `tokens` and `heads`.
 */
export const keyValueTileWgsl = (keyTile: number, headDim: number) => /* wgsl */ `
  var<workgroup> keyTile : array<vec4<f32>, ${(keyTile * headDim) / 4}>;
  var<workgroup> valueTile : array<vec4<f32>, ${(keyTile * headDim) / 4}>;

  fn loadKeyValueTile(b : i32, h : i32, start : i32) {
    let tokens = uniforms.tokens;
    let width = uniforms.heads * HEAD_VEC;
    for (var i = i32(localIndex); i < KEY_TILE * HEAD_VEC; i += QUERY_TILE) {
      let key = start + i / HEAD_VEC;
      let c = i % HEAD_VEC;
      if (key < tokens) {
        let keyBase = (b * tokens + key) * 3 * width + width + h * HEAD_VEC;
        keyTile[i] = ropeRead(keyBase, key, c);
        valueTile[i] = qkv[keyBase + width + c];
      } else {
        keyTile[i] = vec4<f32>(0.0);
        valueTile[i] = vec4<f32>(0.0);
      }
    }
  }
`;
