import * as tf from '@tensorflow/tfjs-core';

/**
 * Joins text rows [B * L, D] and image rows [B * T, D] into sequence rows [B * (L + T), D],
 * each sample's text first (SPEC section 2, step 2).
 *
 * One op with its own gradient (a split) instead of reshape + concat + reshape: under a
 * gradient tape tfjs saves a copy of every input of those ops (to know their shapes) and
 * counts each copy at full size.
 */
export function joinSequence(textRows: tf.Tensor2D, imageRows: tf.Tensor2D, batch: number): tf.Tensor2D {
  const width = textRows.shape[1];
  const textLength = textRows.shape[0] / batch;
  const imageTokens = imageRows.shape[0] / batch;
  const op = tf.customGrad((...args: unknown[]) => {
    const [text, image] = args as [tf.Tensor2D, tf.Tensor2D];
    return {
      value: tf.tidy(() =>
        tf.reshape(tf.concat([tf.reshape(text, [batch, textLength, width]), tf.reshape(image, [batch, imageTokens, width])], 1), [-1, width]),
      ),
      gradFunc: (dy: tf.Tensor) =>
        tf.tidy(() => {
          const [dText, dImage] = tf.split(tf.reshape(dy, [batch, textLength + imageTokens, width]), [textLength, imageTokens], 1);
          return [tf.reshape(dText, [-1, width]), tf.reshape(dImage, [-1, width])];
        }),
    };
  });
  return op(textRows, imageRows) as tf.Tensor2D;
}
