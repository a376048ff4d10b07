//! The CUDA trainer built on a machine without a GPU: nvcc, the CUDA headers (CCCL included)
//! and the CUDA libraries come from NVIDIA's PyPI wheels into a venv under `target/`; the GPU
//! driver, which no registry ships, is replaced at link time by a stub that exports the driver
//! API's names (as the CUDA toolkit's own `lib/stubs/libcuda.so` does), so the binary asks for
//! `libcuda.so.1` and gets the real driver on a GPU machine.

use std::path::{Path, PathBuf};

use crate::process::{run, Cmd};

/// The compiler's wheels, pinned to CUDA 13.0, the version of the driver (580) on the GPU
/// machines this project is lent: PTX from a newer nvcc would be refused by that driver's JIT.
/// The unsuffixed wheels are the first on PyPI to ship `nvcc` itself (the cu12 ones carry only
/// `ptxas`); `cicc` comes from `nvidia-nvvm`, the headers from the runtime and CCCL wheels.
const COMPILER_WHEELS: &[&str] = &[
    "nvidia-cuda-nvcc==13.0.88",
    "nvidia-nvvm==13.0.88",
    "nvidia-cuda-crt==13.0.88",
    "nvidia-cuda-runtime==13.0.96",
    "nvidia-cuda-cccl==13.0.85",
];

/// The libraries a linked CUDA binary needs (about 1 GB installed; a check links nothing).
const LIBRARY_WHEELS: &[&str] = &["nvidia-cuda-nvrtc==13.0.88", "nvidia-cublas==13.0.2.14", "nvidia-curand==10.4.0.35"];

/// cudarc's bindings for CUDA 13.0 (it would read the same from `nvcc --version`; set so that
/// the build does not depend on which nvcc is first on PATH).
const CUDARC_CUDA_VERSION: &str = "13000";

/// PTX for compute capability 8.0: it runs on the A100 class and, compiled by the driver when
/// first loaded, on the H100/H200 class (PTX is forward compatible).
const COMPUTE_CAP: &str = "80";

/// Libraries the link asks for by their unversioned names; the wheels ship only `.so.N`.
const LIBRARIES: &[&str] = &["cublas", "cublasLt", "cudart", "curand", "nvrtc"];

/// Where the CUDA build keeps its venv and its own cargo target folder (so the CPU binary in
/// `target/release` stays a CPU binary).
pub fn venv(root: &Path) -> PathBuf {
    root.join("target/cuda-venv")
}

fn target_dir(root: &Path) -> PathBuf {
    root.join("target/cuda-build")
}

/// The CUDA tree inside the venv (`bin/nvcc`, `include`, `lib`).
fn toolkit(venv: &Path) -> Result<PathBuf, String> {
    let lib = venv.join("lib");
    let entries = std::fs::read_dir(&lib).map_err(|e| format!("{}: {e}", lib.display()))?;
    entries
        .filter_map(|e| e.ok())
        .map(|e| e.path().join("site-packages/nvidia/cu13"))
        .find(|p| p.join("bin/nvcc").is_file())
        .ok_or_else(|| format!("no nvidia/cu13/bin/nvcc under {}", lib.display()))
}

/// Installs the compiler's wheels (once) and returns the CUDA tree; `libraries` adds the CUDA
/// libraries, their link names and the driver stub, which a linked binary needs.
pub fn ensure_toolkit(root: &Path, libraries: bool) -> Result<PathBuf, String> {
    let venv = venv(root);
    let venv_str = venv.to_str().ok_or("the repository path is not UTF-8")?;
    if !venv.join("bin/pip").is_file() {
        run("python3", &["-m", "venv", venv_str])?;
    }
    let pip = venv.join("bin/pip");
    let mut args = vec!["install", "--quiet"];
    args.extend_from_slice(COMPILER_WHEELS);
    if libraries {
        args.extend_from_slice(LIBRARY_WHEELS);
    }
    run(pip.to_str().ok_or("the venv path is not UTF-8")?, &args)?;
    let cuda = toolkit(&venv)?;
    if !libraries {
        return Ok(cuda);
    }
    let lib = cuda.join("lib");
    for name in LIBRARIES {
        let link = lib.join(format!("lib{name}.so"));
        if link.exists() {
            continue;
        }
        let versioned = std::fs::read_dir(&lib)
            .map_err(|e| format!("{}: {e}", lib.display()))?
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .find(|f| f.starts_with(&format!("lib{name}.so.")))
            .ok_or_else(|| format!("no lib{name}.so.N in {}", lib.display()))?;
        std::os::unix::fs::symlink(&versioned, &link).map_err(|e| format!("{}: {e}", link.display()))?;
    }
    driver_stub(&cuda)?;
    Ok(cuda)
}

/// Every driver API name the headers declare, each a function of the stub.
fn driver_names(cuda: &Path) -> Result<Vec<String>, String> {
    let mut names = Vec::new();
    for header in ["cuda.h", "cudaProfilerTypedefs.h"] {
        let path = cuda.join("include").join(header);
        names.extend(api_names(&std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?));
    }
    names.sort();
    names.dedup();
    Ok(names)
}

/// The identifiers in C source that are driver API names: `cu` and a capital (`cuInit`,
/// `cuMemAlloc_v2`), not types (`CUresult`, `cuuint64_t`). A superset of what is exported
/// does no harm in a stub.
fn api_names(source: &str) -> impl Iterator<Item = String> + '_ {
    source
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|t| t.len() > 2 && t.starts_with("cu") && t.as_bytes()[2].is_ascii_uppercase())
        .map(str::to_owned)
}

/// `lib/libcuda.so`, soname `libcuda.so.1`: for linking only; every function fails if called.
fn driver_stub(cuda: &Path) -> Result<(), String> {
    let out = cuda.join("lib/libcuda.so");
    if out.is_file() {
        return Ok(());
    }
    let source = cuda.join("lib/cuda_driver_stub.c");
    // 999 is CUDA_ERROR_UNKNOWN: a binary that loads the stub by mistake fails cleanly.
    let body: String = driver_names(cuda)?.iter().map(|n| format!("int {n}(void) {{ return 999; }}\n")).collect();
    std::fs::write(&source, format!("/* Link-time stand-in for the CUDA driver (see xtask/src/cuda.rs). */\n{body}"))
        .map_err(|e| format!("{}: {e}", source.display()))?;
    let (src, dst) = (source.to_str().ok_or("path is not UTF-8")?, out.to_str().ok_or("path is not UTF-8")?);
    run("gcc", &["-shared", "-fPIC", "-Wl,-soname,libcuda.so.1", "-o", dst, src])
}

/// `cargo args` pointed at the CUDA tree in `cuda`, building into `target`.
fn cargo_with_cuda(cuda: &Path, target: &Path, args: &[&str]) -> Result<(), String> {
    // candle-kernels' build script (cudaforge) runs nvcc on half the cores unless told: on two
    // cores that is one file at a time, and its 15 GGUF kernels take about a minute each.
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).to_string();
    Cmd::new("cargo", args)
        .path_prefix(&cuda.join("bin"))
        .env("CUDA_ROOT", cuda)
        .env("CUDA_PATH", cuda)
        .env("CUDA_COMPUTE_CAP", COMPUTE_CAP)
        .env("CUDARC_CUDA_VERSION", CUDARC_CUDA_VERSION)
        .env("CUDAFORGE_THREADS", &threads)
        .env("CARGO_TARGET_DIR", target)
        .run()
}

/// `cargo xtask check-cuda` (part of `cargo xtask test`): every crate and target of the
/// workspace compiled with `--features cuda` up to code generation, so a CUDA path that does
/// not compile fails CI; candle's CUDA kernels are compiled by nvcc for real (its build
/// script runs in a check too). Nothing is linked, so it needs neither the CUDA libraries nor
/// a GPU, and it shares the CPU build's target folder (a check writes no binary, and the
/// workspace's feature resolution lets it reuse the proc-macros and build scripts). The
/// linked binary is `build`'s.
pub fn check(root: &Path) -> Result<(), String> {
    let cuda = ensure_toolkit(root, false)?;
    cargo_with_cuda(&cuda, &root.join("target"), &["check", "--workspace", "--all-targets", "--features", "ocellus-trainer/cuda"])
}

/// Builds the trainer with `--features cuda` and compiles the CUDA-enabled tests (no GPU needed).
pub fn build(root: &Path) -> Result<(), String> {
    let cuda = ensure_toolkit(root, true)?;
    let target = target_dir(root);
    let cargo = |args: &[&str]| cargo_with_cuda(&cuda, &target, args);
    cargo(&["build", "--release", "--features", "cuda", "-p", "ocellus-trainer"])?;
    cargo(&["test", "--release", "--features", "cuda", "-p", "ocellus", "-p", "ocellus-trainer", "--no-run"])?;
    eprintln!(
        "built {}: on a GPU machine run it with LD_LIBRARY_PATH={} (the CUDA libraries; the driver comes from the machine)",
        target.join("release/ocellus").display(),
        cuda.join("lib").display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn driver_names_are_the_cu_functions_not_the_types() {
        let header = "CUresult CUDAAPI cuInit(unsigned int Flags);\n#define cuMemAlloc cuMemAlloc_v2\ntypedef cuuint64_t x; // cu";
        let names: Vec<String> = super::api_names(header).collect();
        assert_eq!(names, ["cuInit", "cuMemAlloc", "cuMemAlloc_v2"]);
    }
}
