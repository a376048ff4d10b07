//! Writing files so that a crash or a kill at any moment leaves either the old file or
//! the new one, never a torn one.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// The temporary name a file is written under before it is renamed into place.
pub fn temp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(format!(".{}.tmp", std::process::id()));
    path.with_file_name(name)
}

/// Fault injection for the kill tests: with `OCELLUS_SLOW_WRITES_MS` set, every write pauses
/// that long halfway through its bytes, so a test can kill a run mid-write for certain.
const SLOW_WRITES: &str = "OCELLUS_SLOW_WRITES_MS";

/// Writes `bytes` to `path` atomically: temporary file in the same folder, fsync, rename.
/// On failure the temporary is removed and whatever `path` held before is left as it was.
pub fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir).with_context(|| format!("cannot create folder {}", dir.display()))?;
    }
    let tmp = temp_path(path);
    let pause = std::env::var(SLOW_WRITES).ok().and_then(|v| v.parse::<u64>().ok());
    let result = (|| -> std::io::Result<()> {
        let mut file = fs::File::create(&tmp)?;
        let (first, rest) = bytes.split_at(bytes.len() / 2);
        file.write_all(first)?;
        if let Some(ms) = pause {
            file.flush()?;
            std::thread::sleep(std::time::Duration::from_millis(ms));
        }
        file.write_all(rest)?;
        file.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        let room = matches!(e.kind(), std::io::ErrorKind::StorageFull | std::io::ErrorKind::FileTooLarge | std::io::ErrorKind::QuotaExceeded);
        let what = if room { format!(" (no room for its {} bytes; the previous file is kept)", bytes.len()) } else { String::new() };
        return Err(e).with_context(|| format!("cannot write {}{what}", path.display()));
    }
    Ok(())
}

/// Removes the temporaries that killed runs left beside `path` (`NAME.<pid>.tmp`). Only the
/// holder of the run's lock calls it, so no live writer owns them.
pub fn remove_stale_temps(path: &Path) -> Result<usize> {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name().and_then(|n| n.to_str())) else { return Ok(0) };
    let dir = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
    let Ok(entries) = fs::read_dir(dir) else { return Ok(0) };
    let mut removed = 0;
    for entry in entries.flatten() {
        let file = entry.file_name();
        let Some(rest) = file.to_str().and_then(|f| f.strip_prefix(name)).and_then(|r| r.strip_prefix('.')) else { continue };
        let is_temp = rest.strip_suffix(".tmp").is_some_and(|pid| !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()));
        if is_temp {
            fs::remove_file(entry.path()).with_context(|| format!("cannot remove the stale temporary {}", entry.path().display()))?;
            removed += 1;
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_content_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/model.safetensors");
        write(&path, b"first").unwrap();
        write(&path, b"second").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"second");
        let names: Vec<_> = fs::read_dir(path.parent().unwrap()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, vec![std::ffi::OsString::from("model.safetensors")]);
    }

    #[test]
    fn stale_temporaries_go_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.safetensors");
        for name in ["m.safetensors.123.tmp", "m.safetensors.9.tmp", "m.safetensors", "m.safetensors.x.tmp", "other.safetensors.5.tmp"] {
            fs::write(dir.path().join(name), b"x").unwrap();
        }
        assert_eq!(remove_stale_temps(&path).unwrap(), 2);
        let mut left: Vec<_> = fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        left.sort();
        assert_eq!(left, ["m.safetensors", "m.safetensors.x.tmp", "other.safetensors.5.tmp"]);
    }

    #[test]
    fn failure_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("file");
        fs::write(&blocker, b"x").unwrap();
        let err = write(&blocker.join("inside"), b"y").unwrap_err();
        assert!(format!("{err:#}").contains("file"), "{err:#}");
    }
}
