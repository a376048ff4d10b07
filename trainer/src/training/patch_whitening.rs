//! The whitened CNN's first layer, computed from the training images: the eigenvectors of the
//! covariance of 2x2 RGB patches, each scaled by 1/sqrt(eigenvalue + eps) and used with its
//! negation, so the layer's 24 outputs are decorrelated, unit-variance views of the patches
//! (airbench). Its bias centres them (the images are not mean-subtracted first).

use anyhow::{bail, Result};
use candle_core::Tensor;
use nalgebra::{DMatrix, SymmetricEigen};
use ocellus::image_input::rgb_to_chw;
use ocellus::models::whitened_cnn::{PATCH, WHITENING_CHANNELS, WHITEN_BIAS, WHITEN_WEIGHT};
use ocellus::Arch;

use crate::dataset::ImageSet;
use crate::training::Trainee;

/// Values per patch: 3 channels x 2 x 2.
const DIM: usize = 3 * PATCH * PATCH;
/// Images the statistics are taken from (airbench: 5,000).
pub const SAMPLE: usize = 5000;
/// The eigenvalue floor, relative to the mean variance of a patch value (airbench's 5e-4 on
/// images normalised to unit variance).
const EPS: f64 = 5e-4;

/// Mean and covariance of the 2x2 patches of `images` ((C, H, W) planes of `h` x `w`).
pub fn patch_moments<'a>(images: impl Iterator<Item = &'a [f32]>, h: usize, w: usize) -> (Vec<f64>, DMatrix<f64>) {
    let mut sum = vec![0f64; DIM];
    let mut outer = DMatrix::<f64>::zeros(DIM, DIM);
    let mut count = 0f64;
    let mut patch = [0f64; DIM];
    for chw in images {
        let plane = h * w;
        for y in 0..h + 1 - PATCH {
            for x in 0..w + 1 - PATCH {
                // PyTorch's order of a conv filter: channel, row, column.
                for c in 0..3 {
                    for dy in 0..PATCH {
                        for dx in 0..PATCH {
                            patch[(c * PATCH + dy) * PATCH + dx] = chw[c * plane + (y + dy) * w + x + dx] as f64;
                        }
                    }
                }
                for i in 0..DIM {
                    sum[i] += patch[i];
                    for j in i..DIM {
                        outer[(i, j)] += patch[i] * patch[j];
                    }
                }
                count += 1.0;
            }
        }
    }
    let mean: Vec<f64> = sum.iter().map(|s| s / count.max(1.0)).collect();
    let mut cov = DMatrix::<f64>::zeros(DIM, DIM);
    for i in 0..DIM {
        for j in i..DIM {
            let v = outer[(i, j)] / count.max(1.0) - mean[i] * mean[j];
            cov[(i, j)] = v;
            cov[(j, i)] = v;
        }
    }
    (mean, cov)
}

/// The whitening filters (24 x 12, as rows) and biases (24) for patch moments `mean`, `cov`.
pub fn whitening(mean: &[f64], cov: &DMatrix<f64>) -> (Vec<f32>, Vec<f32>) {
    let eps = EPS * cov.trace() / DIM as f64;
    let eigen = SymmetricEigen::new(cov.clone());
    let mut order: Vec<usize> = (0..DIM).collect();
    order.sort_by(|&a, &b| eigen.eigenvalues[b].total_cmp(&eigen.eigenvalues[a]));
    let mut weights = Vec::with_capacity(WHITENING_CHANNELS * DIM);
    let mut biases = Vec::with_capacity(WHITENING_CHANNELS);
    for sign in [1.0, -1.0] {
        for &k in &order {
            let scale = sign / (eigen.eigenvalues[k].max(0.0) + eps).sqrt();
            let row: Vec<f64> = (0..DIM).map(|i| eigen.eigenvectors[(i, k)] * scale).collect();
            biases.push(-row.iter().zip(mean).map(|(r, m)| r * m).sum::<f64>() as f32);
            weights.extend(row.iter().map(|&v| v as f32));
        }
    }
    (weights, biases)
}

/// Sets `trainee`'s whitening layer from up to [`SAMPLE`] of the images `train` of `set`
/// (nothing to do for other architectures).
pub fn initialise(trainee: &Trainee, set: &ImageSet, train: &[usize]) -> Result<()> {
    if !matches!(trainee.card.arch, Arch::WhitenedCnn { .. }) {
        return Ok(());
    }
    if train.is_empty() {
        bail!("the whitening layer needs training images");
    }
    let (h, w) = (set.size.height as usize, set.size.width as usize);
    let planes: Vec<Vec<f32>> = train.iter().take(SAMPLE).map(|&i| rgb_to_chw(set.pixels(i), set.size)).collect();
    let (mean, cov) = patch_moments(planes.iter().map(|p| p.as_slice()), h, w);
    let (weights, biases) = whitening(&mean, &cov);
    trainee.set(WHITEN_WEIGHT, &Tensor::from_vec(weights, (WHITENING_CHANNELS, 3, PATCH, PATCH), &trainee.device)?)?;
    trainee.set(WHITEN_BIAS, &Tensor::from_vec(biases, WHITENING_CHANNELS, &trainee.device)?)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    /// Correlated random images: a smooth base plus noise, per channel offsets.
    fn images(n: usize, side: usize, rng: &mut StdRng) -> Vec<Vec<f32>> {
        (0..n)
            .map(|_| {
                let base: Vec<f32> = (0..side * side).map(|_| rng.random_range(0.0..1.0)).collect();
                (0..3).flat_map(|c| base.iter().map(move |&b| b * (0.5 + 0.2 * c as f32))).map(|v| v + rng.random_range(0.0..0.1)).collect()
            })
            .collect()
    }

    #[test]
    fn moments_match_a_direct_computation() {
        let mut rng = StdRng::seed_from_u64(1);
        let imgs = images(3, 5, &mut rng);
        let (mean, cov) = patch_moments(imgs.iter().map(|v| v.as_slice()), 5, 5);
        // Direct: list every patch, then the textbook formulas.
        let mut patches = Vec::new();
        for img in &imgs {
            for y in 0..4 {
                for x in 0..4 {
                    let p: Vec<f64> =
                        (0..3).flat_map(|c| [(0, 0), (0, 1), (1, 0), (1, 1)].map(|(dy, dx)| img[c * 25 + (y + dy) * 5 + x + dx] as f64)).collect();
                    patches.push(p);
                }
            }
        }
        let n = patches.len() as f64;
        for i in 0..DIM {
            let m: f64 = patches.iter().map(|p| p[i]).sum::<f64>() / n;
            assert!((m - mean[i]).abs() < 1e-9);
            for j in 0..DIM {
                let mj: f64 = patches.iter().map(|p| p[j]).sum::<f64>() / n;
                let c: f64 = patches.iter().map(|p| (p[i] - m) * (p[j] - mj)).sum::<f64>() / n;
                assert!((c - cov[(i, j)]).abs() < 1e-9, "cov[{i},{j}] {c} vs {}", cov[(i, j)]);
            }
        }
    }

    #[test]
    fn filters_whiten_the_patches_and_the_bias_centres_them() {
        let mut rng = StdRng::seed_from_u64(2);
        let imgs = images(20, 8, &mut rng);
        let (mean, cov) = patch_moments(imgs.iter().map(|v| v.as_slice()), 8, 8);
        let (w, b) = whitening(&mean, &cov);
        let filters = DMatrix::from_row_slice(WHITENING_CHANNELS, DIM, &w.iter().map(|&v| v as f64).collect::<Vec<_>>());
        // W cov W^T: the first 12 filters give a diagonal of lambda / (lambda + eps), near 1 for
        // the strong directions, and no correlation between them.
        let white = &filters * &cov * filters.transpose();
        for i in 0..DIM {
            for j in 0..DIM {
                let v = white[(i, j)];
                if i == j {
                    assert!(v > 0.0 && v <= 1.0 + 1e-6, "variance {i}: {v}");
                } else {
                    assert!(v.abs() < 1e-4, "covariance {i},{j}: {v}");
                }
            }
        }
        assert!(white[(0, 0)] > 0.99, "the strongest direction is whitened to unit variance: {}", white[(0, 0)]);
        // The negated half mirrors the first; the mean patch maps to zero.
        for k in 0..DIM {
            assert_eq!(w[(k + DIM) * DIM], -w[k * DIM]);
            let out: f64 = (0..DIM).map(|i| w[k * DIM + i] as f64 * mean[i]).sum::<f64>() + b[k] as f64;
            assert!(out.abs() < 1e-3, "filter {k} on the mean patch: {out}");
        }
    }
}
