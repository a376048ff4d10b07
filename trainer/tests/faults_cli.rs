//! Training runs that meet faults: killed without warning (mid-write too) and resumed, a second
//! run on the same files, a disk with no room, a batch too large for memory.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The training command of these tests, for `out`.
fn train_args<'a>(
    data: &'a Path,
    out: &'a Path,
    arch: &'a [&'a str],
    epochs: &'a str,
) -> Vec<&'a str> {
    let mut args = vec![
        "train",
        "classify",
        "--data",
        s(data),
        "--out",
        s(out),
        "--batch-size",
        "16",
        "--epochs",
        epochs,
        "--seed",
        "4",
        "--augment",
        "on",
    ];
    args.extend_from_slice(arch);
    args
}

/// Starts `ocellus args` in the background, as the tests' `ocellus` runs it (two threads), with
/// every write pausing `slow_ms` halfway through.
fn spawn(args: &[&str], slow_ms: u64) -> Child {
    Command::new(env!("CARGO_BIN_EXE_ocellus"))
        .args(args)
        .env("RAYON_NUM_THREADS", "2")
        .env("OCELLUS_SLOW_WRITES_MS", slow_ms.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// The half-written temporaries in `dir`.
fn temporaries(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "tmp"))
        .collect()
}

/// Every tensor of a weights or checkpoint file, by name, as raw values.
fn tensors(path: &Path) -> Vec<(String, Vec<f32>)> {
    let (_, tensors) =
        ocellus::weights::read(&std::fs::read(path).unwrap(), &candle_core::Device::Cpu)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut flat: Vec<(String, Vec<f32>)> = tensors
        .into_iter()
        .map(|(k, v)| (k, v.flatten_all().unwrap().to_vec1::<f32>().unwrap()))
        .collect();
    flat.sort_by(|a, b| a.0.cmp(&b.0));
    flat
}

/// Whatever a run left in `dir` must be whole: the weights load as a model, the checkpoint as a
/// checkpoint, the history parses.
fn assert_whole(dir: &Path, round: usize) {
    let weights = dir.join("m.safetensors");
    if weights.exists() {
        ocellus::TrainedModel::from_bytes(
            &std::fs::read(&weights).unwrap(),
            &candle_core::Device::Cpu,
        )
        .unwrap_or_else(|e| panic!("kill {round}: the weights file is damaged: {e}"));
    }
    let ckpt = dir.join("m.ckpt.safetensors");
    if ckpt.exists() {
        let meta = ocellus::weights::read_metadata(&std::fs::read(&ckpt).unwrap())
            .unwrap_or_else(|e| panic!("kill {round}: the checkpoint is damaged: {e}"));
        assert!(
            meta.contains_key("ocellus.train_state"),
            "kill {round}: the checkpoint has no training state"
        );
    }
    let history = dir.join("m.history.csv");
    if history.exists() {
        let text = std::fs::read_to_string(&history).unwrap();
        let widths: Vec<usize> = text.lines().map(|l| l.split(',').count()).collect();
        assert!(
            widths.windows(2).all(|w| w[0] == w[1]) && text.ends_with('\n'),
            "kill {round}: torn history:\n{text}"
        );
    }
}

#[test]
fn a_run_killed_at_random_moments_and_mid_write_resumes_to_the_uninterrupted_weights() {
    let data = tempfile::tempdir().unwrap();
    write_class_folders(data.path(), 50, 21);
    // ResNet-18 (width 4) has BatchNorm: its running statistics must survive resumes too.
    let arch = ["--arch", "resnet18", "--width", "4"];
    let reference_dir = tempfile::tempdir().unwrap();
    let reference = reference_dir.path().join("m.safetensors");
    ok(&train_args(data.path(), &reference, &arch, "6"));

    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("m.safetensors");
    let ckpt = dir.path().join("m.ckpt.safetensors");
    let mut rng = StdRng::seed_from_u64(7);
    let (mut kills, mut mid_write, mut finished) = (0, 0, false);
    let resume_args = |ckpt_exists: bool| {
        let mut args = train_args(data.path(), &out, &arch, "6");
        if ckpt_exists {
            args.push("--resume");
        }
        args
    };
    // Twelve starts, each killed: half after a random time, half inside the n-th file write
    // (weights, checkpoint, history and plot, in that order each epoch), then one run to the end.
    for round in 0..12 {
        // Every write pauses 150 ms halfway, so that a kill can land inside one.
        let mut child = spawn(&resume_args(ckpt.exists()), 150);
        let started = Instant::now();
        let wait = Duration::from_millis(rng.random_range(100..1200));
        let nth_write = if round % 2 == 1 {
            Some(rng.random_range(1..=6usize))
        } else {
            None
        };
        let mut seen = std::collections::BTreeSet::new();
        let mut writing = false;
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                let mut err = String::new();
                std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
                assert!(
                    status.success(),
                    "round {round}: the run failed by itself:\n{err}"
                );
                finished = true;
                break;
            }
            let now = temporaries(dir.path());
            // A new write starts when a temporary appears after none.
            if !now.is_empty() && !writing {
                seen.insert(seen.len());
            }
            writing = !now.is_empty();
            let due = match nth_write {
                Some(n) => writing && seen.len() >= n,
                None => started.elapsed() >= wait,
            };
            if due {
                child.kill().unwrap();
                child.wait().unwrap();
                kills += 1;
                mid_write += usize::from(!temporaries(dir.path()).is_empty());
                break;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        assert_whole(dir.path(), round);
        if finished {
            break;
        }
    }
    if !finished {
        ok(&resume_args(ckpt.exists()));
    }
    assert!(
        kills >= 4 && mid_write >= 2,
        "{kills} kills, {mid_write} of them mid-write: too few to show anything"
    );
    assert!(
        temporaries(dir.path()).is_empty(),
        "a resumed run removes what killed ones left half-written"
    );
    assert_eq!(tensors(&out), tensors(&reference), "after {kills} kills ({mid_write} mid-write) the weights differ from the uninterrupted run's");
    let ckpt_ref = reference_dir.path().join("m.ckpt.safetensors");
    assert_eq!(
        tensors(&ckpt),
        tensors(&ckpt_ref),
        "the final checkpoints (weights and optimiser state) differ"
    );
    eprintln!(
        "{kills} kills ({mid_write} mid-write), then the same weights as the uninterrupted run"
    );
}

#[test]
fn a_second_run_on_the_same_out_refuses_while_the_first_runs() {
    let data = tempfile::tempdir().unwrap();
    write_class_folders(data.path(), 20, 22);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("m.safetensors");
    let args = train_args(data.path(), &out, &["--arch", "lenet"], "200");
    let mut first = spawn(&args, 0);
    // The first run holds the lock once it has started writing its checkpoint.
    let deadline = Instant::now() + Duration::from_secs(60);
    while !dir.path().join("m.ckpt.safetensors").exists() {
        assert!(
            Instant::now() < deadline,
            "the first run never wrote a checkpoint"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let err = fails(&[&args[..], &["--resume"]].concat());
    first.kill().unwrap();
    first.wait().unwrap();
    assert!(
        err.contains("another training run is writing") && err.contains("m.safetensors"),
        "{err}"
    );
}

/// Runs `ocellus args` with files limited to `limit` bytes (a stand-in for a full disk: writes
/// past it fail with EFBIG, SIGXFSZ being ignored as a full disk's ENOSPC would not signal).
fn run_with_file_limit(args: &[&str], limit: u64) -> std::process::Output {
    use std::os::unix::process::CommandExt;
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ocellus"));
    cmd.args(args).env("RAYON_NUM_THREADS", "2");
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            let rl = libc::rlimit {
                rlim_cur: limit,
                rlim_max: limit,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &rl) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    cmd.output().unwrap()
}

#[test]
fn a_full_disk_names_the_file_and_keeps_the_last_good_ones() {
    let data = tempfile::tempdir().unwrap();
    write_class_folders(data.path(), 20, 23);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("m.safetensors");
    let ckpt = dir.path().join("m.ckpt.safetensors");
    ok(&train_args(data.path(), &out, &["--arch", "lenet"], "2"));
    let (weights_before, ckpt_before) =
        (std::fs::read(&out).unwrap(), std::fs::read(&ckpt).unwrap());
    let history_before = std::fs::read(dir.path().join("m.history.csv")).unwrap();
    // Room for neither the weights nor the checkpoint of the next epoch.
    let limit = (weights_before.len() / 2) as u64;
    let args = [
        &train_args(data.path(), &out, &["--arch", "lenet"], "4")[..],
        &["--resume"],
    ]
    .concat();
    let run = run_with_file_limit(&args, limit);
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(!run.status.success(), "the run should fail");
    assert!(
        err.contains("cannot write")
            && err.contains("no room for its")
            && err.contains(s(dir.path())),
        "{err}"
    );
    assert!(
        err.contains("m.safetensors") || err.contains("m.ckpt.safetensors"),
        "{err}"
    );
    assert_eq!(
        std::fs::read(&out).unwrap(),
        weights_before,
        "the last good weights are kept"
    );
    assert_eq!(
        std::fs::read(&ckpt).unwrap(),
        ckpt_before,
        "the last good checkpoint is kept"
    );
    assert_eq!(
        std::fs::read(dir.path().join("m.history.csv")).unwrap(),
        history_before
    );
    assert!(
        temporaries(dir.path()).is_empty(),
        "no half-written file is left"
    );
    // With room again, the run continues from the kept checkpoint.
    let resumed = ok(&args);
    assert!(
        resumed.contains("resuming from") && resumed.contains("at epoch 3"),
        "{resumed}"
    );
}

#[test]
fn a_batch_too_large_for_memory_is_refused_up_front_with_one_that_fits() {
    let data = tempfile::tempdir().unwrap();
    write_class_folders(data.path(), 50, 24);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("m.safetensors");
    let base = [
        "train",
        "classify",
        "--data",
        s(data.path()),
        "--out",
        s(&out),
        "--arch",
        "resnet18",
        "--width",
        "16",
        "--epochs",
        "1",
    ];
    let refused = Command::new(env!("CARGO_BIN_EXE_ocellus"))
        .args(base)
        .args(["--batch-size", "150"])
        .env("OCELLUS_ASSUME_FREE_MEMORY", "40M")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(
        !refused.status.success(),
        "a 150-image batch in 40 MiB should be refused"
    );
    assert!(
        err.contains("--batch-size 150 needs about")
            && err.contains("per image")
            && err.contains("40.0 MiB of memory is free"),
        "{err}"
    );
    assert!(
        !out.exists() && !dir.path().join("m.ckpt.safetensors").exists(),
        "nothing is written by a refused run"
    );
    let fits: usize = err
        .split("use --batch-size ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .expect("a batch size that fits");
    assert!((1..150).contains(&fits), "{err}");
    // The suggested size passes the same check.
    let run = Command::new(env!("CARGO_BIN_EXE_ocellus"))
        .args(base)
        .args(["--batch-size", &fits.to_string()])
        .env("OCELLUS_ASSUME_FREE_MEMORY", "40M")
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "--batch-size {fits} was suggested but refused:\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
}

#[test]
fn a_place_that_cannot_be_written_is_named_before_training() {
    let data = tempfile::tempdir().unwrap();
    write_class_folders(data.path(), 5, 25);
    // /proc refuses new files even to root, so this holds whoever runs the tests.
    let out = Path::new("/proc/ocellus-cannot-write/m.safetensors");
    let err = fails(&train_args(data.path(), out, &["--arch", "lenet"], "1"));
    assert!(err.contains("cannot create folder /proc/ocellus-cannot-write"), "{err}");
}
