//! Adam's update of one parameter in a single pass over its values, on the threads: the
//! CPU fast path of [`super::adam::Adam`]. Composed from candle's tensor ops the same update
//! takes thirteen passes, each allocating a parameter-sized tensor.

use rayon::prelude::*;

/// The scalars of one step.
#[derive(Clone, Copy, Debug)]
pub struct AdamScalars {
    /// Learning rate.
    pub lr: f32,
    /// First-moment decay.
    pub beta1: f32,
    /// Second-moment decay.
    pub beta2: f32,
    /// 1 - beta1^t.
    pub bias1: f32,
    /// 1 - beta2^t.
    pub bias2: f32,
    /// Added to the root of the second moment.
    pub eps: f32,
    /// Decoupled weight decay (0: none).
    pub weight_decay: f32,
}

/// Values per parallel task: below this the hand-over costs more than the pass.
const CHUNK: usize = 1 << 14;

/// New (parameter, first moment, second moment) from the old ones and the gradient `g`.
pub fn adam_update(theta: &[f32], g: &[f32], m: &[f32], v: &[f32], s: AdamScalars) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let n = theta.len();
    assert!(g.len() == n && m.len() == n && v.len() == n, "Adam: parameter, gradient and moments differ in size");
    let (mut theta2, mut m2, mut v2) = (vec![0f32; n], vec![0f32; n], vec![0f32; n]);
    let decay = 1.0 - s.lr * s.weight_decay;
    let pass = |at: usize, t_out: &mut [f32], m_out: &mut [f32], v_out: &mut [f32]| {
        let len = t_out.len();
        let inputs = theta[at..at + len].iter().zip(&g[at..at + len]).zip(m[at..at + len].iter().zip(&v[at..at + len]));
        let outputs = t_out.iter_mut().zip(m_out.iter_mut()).zip(v_out.iter_mut());
        for (((t_o, m_o), v_o), ((&t, &g), (&m, &v))) in outputs.zip(inputs) {
            let m = s.beta1 * m + (1.0 - s.beta1) * g;
            let v = s.beta2 * v + (1.0 - s.beta2) * g * g;
            let step = (m / s.bias1) / ((v / s.bias2).sqrt() + s.eps);
            (*t_o, *m_o, *v_o) = (t * decay - s.lr * step, m, v);
        }
    };
    if n >= 2 * CHUNK && rayon::current_num_threads() > 1 {
        theta2
            .par_chunks_mut(CHUNK)
            .zip(m2.par_chunks_mut(CHUNK))
            .zip(v2.par_chunks_mut(CHUNK))
            .enumerate()
            .for_each(|(i, ((t, m), v))| pass(i * CHUNK, t, m, v));
    } else {
        pass(0, &mut theta2, &mut m2, &mut v2);
    }
    (theta2, m2, v2)
}
