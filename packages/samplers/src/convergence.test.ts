import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { dpmSolver2M, euler, heun, midpoint, rk4, sample, type Sampler, type VelocityFn } from './index.js';

// dx/dt = k(t) x (1 - x), k(t) = a + b cos(pi t), per element: a nonlinear, time-dependent field
// with the exact solution x(t1) = x e / (1 - x + x e), e = exp(K(t1) - K(t0)),
// K(t) = a t + b sin(pi t) / pi. Values stay in (0, 1), so float32 resolves errors down to ~1e-7.
const rates = [3, 4.5, -3.75, 6, -2.25, 3.75];
const swings = [1.5, -3, 2.25, 3, 4.5, -1.5];
const startValues = [[0.2, 0.5, 0.8], [0.35, 0.6, 0.45]];
// The interval stays off t = 0 and t = 1: on a uniform grid DPM-Solver's steps in
// lambda = log(t / (1 - t)) do not shrink near the endpoints, which delays its asymptotic order
// past the step counts used here (the other samplers converge at their order on [0, 1] too).
const [tStart, tEnd] = [0.2, 0.8];

const integral = (t: number, i: number) => rates[i] * t + (swings[i] * Math.sin(Math.PI * t)) / Math.PI;
function exactSolution(x: number, i: number, t0: number, t1: number): number {
  const growth = Math.exp(integral(t1, i) - integral(t0, i));
  return (x * growth) / (1 - x + x * growth);
}

const logisticVelocity: VelocityFn = (x, t) =>
  tf.tidy(() => {
    const [batch] = x.shape;
    const rate = tf.tensor2d(rates, [batch, 3]);
    const swing = tf.tensor2d(swings, [batch, 3]);
    const cosine = tf.cos(tf.mul(tf.reshape(t, [batch, 1]), Math.PI));
    return tf.mul(tf.add(rate, tf.mul(swing, cosine)), tf.mul(x, tf.sub(1, x)));
  });

async function maxError(sampler: Sampler, steps: number): Promise<number> {
  const start = startValues.flat().map((x, i) => exactSolution(x, i, 0, tStart));
  const expected = start.map((x, i) => exactSolution(x, i, tStart, tEnd));
  const noise = tf.tensor2d(start, [2, 3]);
  const cond = tf.zeros([2, 1]);
  const timesteps = Array.from({ length: steps + 1 }, (_, i) => tStart + ((tEnd - tStart) * i) / steps);
  const x = await sample({ velocity: logisticVelocity, noise, cond, sampler, timesteps, guidanceScale: 1 });
  const error = Math.max(...Array.from(x.dataSync()).map((value, i) => Math.abs(value - expected[i])));
  tf.dispose([noise, cond, x]);
  return error;
}

/** Least-squares slope of -log(error) against log(steps). */
function convergenceOrder(steps: number[], errors: number[]): number {
  const xs = steps.map(Math.log);
  const ys = errors.map((e) => -Math.log(e));
  const [mx, my] = [xs, ys].map((v) => v.reduce((a, b) => a + b, 0) / v.length);
  const covariance = xs.reduce((sum, x, i) => sum + (x - mx) * (ys[i] - my), 0);
  return covariance / xs.reduce((sum, x) => sum + (x - mx) ** 2, 0);
}

describe('convergence order on an analytic field', () => {
  const cases: Array<{ sampler: Sampler; steps: number[] }> = [
    { sampler: euler, steps: [8, 16, 32] },
    { sampler: midpoint, steps: [8, 16, 32] },
    { sampler: heun, steps: [8, 16, 32] },
    { sampler: dpmSolver2M, steps: [8, 16, 32] },
    // fewer steps keep RK4's error (4e-6 at 12 steps) well above float32 rounding
    { sampler: rk4, steps: [3, 6, 12] },
  ];
  for (const { sampler, steps } of cases) {
    it(`${sampler.name} converges with order ${sampler.order} (within 0.3)`, async () => {
      const errors: number[] = [];
      for (const count of steps) errors.push(await maxError(sampler, count));
      const order = convergenceOrder(steps, errors);
      console.info(`order ${sampler.name}: steps ${steps.join('/')} errors ${errors.map((e) => e.toExponential(2)).join(' ')} slope ${order.toFixed(2)}`);
      expect(Math.min(...errors)).toBeGreaterThan(1e-6);
      expect(Math.abs(order - sampler.order)).toBeLessThan(0.3);
    });
  }
});

describe('the straight flow v = x1 - x0', () => {
  const x0 = [[0.3, -1.2, 2.0], [-0.7, 0.1, 1.1]];
  const x1 = [[1.5, 0.25, -0.5], [0.9, -2.2, 0.4]];
  for (const sampler of [euler, midpoint, heun, rk4, dpmSolver2M]) {
    it(`${sampler.name} lands on x1 from x0, on uniform and shifted grids`, async () => {
      const noise = tf.tensor2d(x0);
      const data = tf.tensor2d(x1);
      const cond = tf.zeros([2, 1]);
      const constantVelocity: VelocityFn = () => tf.sub(data, noise);
      for (const shift of [1, 3]) {
        const x = await sample({ velocity: constantVelocity, noise, cond, sampler, steps: 7, shift, guidanceScale: 1 });
        const error = tf.tidy(() => tf.max(tf.abs(tf.sub(x, data))).dataSync()[0]);
        expect(error, `shift ${shift}`).toBeLessThan(1e-5);
        x.dispose();
      }
      tf.dispose([noise, data, cond]);
    });
  }
});
