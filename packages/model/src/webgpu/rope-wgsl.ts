/**
 * WGSL helpers shared by the attention kernels: reading one head's slice of the fused qkv rows
 * with the split-half RoPE rotation of SPEC section 2 applied on the fly, so no rotated copy
 * of q or k is ever stored. Arrays are vec4<f32>; `HEAD_VEC` = head_dim / 4 and
 * `HALF_VEC` = head_dim / 8 are constants of the including shader (head_dim % 8 == 0, so the
 * two halves are whole vec4s).
 *
 * The rotation is x * cos + concat(-x2, x1) * sin with the tables of rope.ts (each half-size
 * angle written twice); its transpose (the backward pass) is
 * concat(x1 c1 + x2 s2, x2 c2 - x1 s1), as fused-kernels.ts' qkv gradient.
 */
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
