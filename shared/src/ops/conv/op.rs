//! The convolution as candle custom ops: the forward op's `bwd` runs the two gradient ops, so
//! candle's autograd, optimizers and everything else stay unchanged.

use candle_core::{bail, CpuStorage, CustomOp2, Layout, Result, Shape, Tensor};

use super::geometry::ConvGeometry;
use super::passes;
use crate::ops::support::operand::f32_data;

/// Stride and padding, the two settings the models use (dilation 1, one group).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Conv2dOp {
    /// Stride, both directions.
    pub stride: usize,
    /// Zero padding, every side.
    pub pad: usize,
}

/// The contiguous f32 data of a CPU operand, or an error naming it.
fn data<'a>(storage: &'a CpuStorage, layout: &Layout, what: &str) -> Result<&'a [f32]> {
    f32_data("fast conv2d", storage, layout, what)
}

fn dims4(layout: &Layout, what: &str) -> Result<(usize, usize, usize, usize)> {
    match layout.shape().dims() {
        &[a, b, c, d] => Ok((a, b, c, d)),
        other => bail!("fast conv2d: {what} must have 4 dimensions, got {other:?}"),
    }
}

impl Conv2dOp {
    /// The geometry of `x` (N, C, H, W) convolved with `w` (Cout, C, KH, KW).
    fn geometry(&self, x: (usize, usize, usize, usize), w: (usize, usize, usize, usize)) -> Result<ConvGeometry> {
        let (batch, cin, h, wd) = x;
        let (cout, wcin, kh, kw) = w;
        if cin != wcin {
            bail!("fast conv2d: input has {cin} channels, kernel expects {wcin}");
        }
        if h + 2 * self.pad < kh || wd + 2 * self.pad < kw || self.stride == 0 {
            bail!("fast conv2d: {kh}x{kw} kernel does not fit a padded {h}x{wd} input");
        }
        Ok(ConvGeometry { batch, cin, h, w: wd, cout, kh, kw, stride: self.stride, pad: self.pad })
    }
}

impl CustomOp2 for Conv2dOp {
    fn name(&self) -> &'static str {
        "ocellus-conv2d"
    }

    fn cpu_fwd(&self, s1: &CpuStorage, l1: &Layout, s2: &CpuStorage, l2: &Layout) -> Result<(CpuStorage, Shape)> {
        let g = self.geometry(dims4(l1, "input")?, dims4(l2, "kernel")?)?;
        let y = passes::forward(&g, data(s1, l1, "input")?, data(s2, l2, "kernel")?);
        Ok((CpuStorage::F32(y), Shape::from((g.batch, g.cout, g.out_h(), g.out_w()))))
    }

    fn bwd(&self, x: &Tensor, w: &Tensor, _res: &Tensor, grad: &Tensor) -> Result<(Option<Tensor>, Option<Tensor>)> {
        let grad = grad.contiguous()?;
        let (_, _, h, wd) = x.dims4()?;
        let (_, _, kh, kw) = w.dims4()?;
        // The network's input takes no gradient: skipping it saves a first layer's largest pass
        // (LeNet's conv1 input gradient was a tenth of its step).
        let dx = if x.track_op() { Some(grad.apply_op2_no_bwd(w, &InputGradOp { conv: *self, h, w: wd })?) } else { None };
        let dw = x.apply_op2_no_bwd(&grad, &WeightGradOp { conv: *self, kh, kw })?;
        Ok((dx, Some(dw)))
    }
}

/// Gradient of the input: (output gradient, kernel) -> input-shaped tensor.
struct InputGradOp {
    conv: Conv2dOp,
    h: usize,
    w: usize,
}

impl CustomOp2 for InputGradOp {
    fn name(&self) -> &'static str {
        "ocellus-conv2d-input-grad"
    }

    fn cpu_fwd(&self, s1: &CpuStorage, l1: &Layout, s2: &CpuStorage, l2: &Layout) -> Result<(CpuStorage, Shape)> {
        let (batch, _, _, _) = dims4(l1, "output gradient")?;
        let (cout, cin, kh, kw) = dims4(l2, "kernel")?;
        let g = self.conv.geometry((batch, cin, self.h, self.w), (cout, cin, kh, kw))?;
        if l1.shape().dims() != [batch, cout, g.out_h(), g.out_w()] {
            bail!("fast conv2d: output gradient shape {:?} does not fit {g:?}", l1.shape());
        }
        let dx = passes::input_grad(&g, data(s1, l1, "output gradient")?, data(s2, l2, "kernel")?);
        Ok((CpuStorage::F32(dx), Shape::from((batch, cin, self.h, self.w))))
    }
}

/// Gradient of the kernel: (input, output gradient) -> kernel-shaped tensor.
struct WeightGradOp {
    conv: Conv2dOp,
    kh: usize,
    kw: usize,
}

impl CustomOp2 for WeightGradOp {
    fn name(&self) -> &'static str {
        "ocellus-conv2d-weight-grad"
    }

    fn cpu_fwd(&self, s1: &CpuStorage, l1: &Layout, s2: &CpuStorage, l2: &Layout) -> Result<(CpuStorage, Shape)> {
        let x = dims4(l1, "input")?;
        let (_, cout, _, _) = dims4(l2, "output gradient")?;
        let g = self.conv.geometry(x, (cout, x.1, self.kh, self.kw))?;
        if l2.shape().dims() != [g.batch, cout, g.out_h(), g.out_w()] {
            bail!("fast conv2d: output gradient shape {:?} does not fit {g:?}", l2.shape());
        }
        let dw = passes::weight_grad(&g, data(s1, l1, "input")?, data(s2, l2, "output gradient")?);
        Ok((CpuStorage::F32(dw), Shape::from((cout, g.cin, self.kh, self.kw))))
    }
}
