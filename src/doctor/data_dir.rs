//! The data dir, looked at without changing it: it exists (or the bot can make it), belongs to
//! this user, is closed to others (it holds emails, the audit log and sealed tokens), has room, and
//! the secret key the bot would use is the one its secrets were sealed with. The doctor creates
//! nothing and fixes no permission: `Store::open` would do both, so it uses `Store::open_as_is`.

use super::Finding;
use crate::config::Config;
use crate::crypto::{Secrets, KEY_FILE};
use crate::store::{KeyFit, Store, StoreError};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

pub const NAME: &str = "Data dir";

/// Below this much free space the check fails. The store itself is small (a few MB for thousands
/// of contacts), but sled appends to its log and rewrites segments later, so it briefly needs
/// several times its size, and the host's logs and images share the disk. When the disk is full
/// every commit fails: decisions and codes are lost. 1 GiB leaves days of room on any host that
/// is not already in trouble.
const LOW_SPACE: u64 = 1 << 30;

pub fn check(config: &Config) -> Finding {
    let dir = std::path::absolute(&config.data_dir).unwrap_or_else(|_| config.data_dir.clone());
    let mut seen = Seen::default();
    match std::fs::metadata(&dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            // The bot makes it (0700) at its first start; the doctor leaves that to it.
            match nearest_existing(&dir) {
                Some(parent) if writable(&parent) => {
                    seen.note(format!(
                        "not there yet: the bot makes it at first start ({} is writable)",
                        parent.display()
                    ));
                    seen.add(space(free_bytes(&parent)));
                    seen.note(match config.secret_key {
                        Some(_) => "M2O_SECRET_KEY will seal its secrets".to_string(),
                        None => format!("a new {KEY_FILE} is made with it"),
                    });
                }
                parent => seen.problems.push(format!(
                    "does not exist, and this user cannot create it{}. Fix: make it as the bot's user (mkdir -m 700 \
                     {}), or set M2O_DATA_DIR to a writable place.",
                    parent.map(|p| format!(" in {}", p.display())).unwrap_or_default(),
                    dir.display()
                )),
            }
        }
        Err(e) => seen.problems.push(format!(
            "cannot be looked at ({e}). Fix: check the permissions of the folders above it, or set M2O_DATA_DIR."
        )),
        Ok(meta) if !meta.is_dir() => seen.problems.push("is not a folder. Fix: set M2O_DATA_DIR to a folder.".into()),
        Ok(meta) => {
            seen.add(owner(&dir, meta.uid()));
            seen.add(mode(&dir, meta.permissions().mode() & 0o777));
            seen.add(space(free_bytes(&dir)));
            match key(config, &dir) {
                Ok(note) => seen.note(note),
                Err(problem) => seen.problems.push(problem),
            }
        }
    }
    let fine = seen.fine();
    if seen.problems.is_empty() {
        Finding::pass(NAME, format!("{}: {fine}", dir.display()))
    } else {
        let otherwise = if fine.is_empty() { String::new() } else { format!(" Otherwise: {fine}.") };
        Finding::fail(NAME, format!("{}: {}{otherwise}", dir.display(), seen.problems.join(" ")))
    }
}

/// What the check saw, in order: short facts ("yours", "mode 700") and sentences, and the problems
/// with their fix.
#[derive(Default)]
struct Seen {
    /// (short, text): short facts run together with commas, a sentence stands after a semicolon.
    fine: Vec<(bool, String)>,
    problems: Vec<String>,
}

impl Seen {
    fn add(&mut self, finding: Result<String, String>) {
        match finding {
            Ok(fact) => self.fine.push((true, fact)),
            Err(problem) => self.problems.push(problem),
        }
    }

    fn note(&mut self, sentence: String) {
        self.fine.push((false, sentence));
    }

    /// "yours, mode 700, 41.2 GiB free; the secret key …".
    fn fine(&self) -> String {
        let mut out = String::new();
        let mut short_before = false;
        for (short, text) in &self.fine {
            if !out.is_empty() {
                out.push_str(if short_before && *short { ", " } else { "; " });
            }
            out.push_str(text);
            short_before = *short;
        }
        out
    }
}

/// Owned by the user the doctor runs as (the bot's, if run as it should be).
fn owner(dir: &Path, uid: u32) -> Result<String, String> {
    // SAFETY: geteuid(2) only reads the process's effective user id; it cannot fail.
    let me = unsafe { libc::geteuid() };
    if uid == me {
        return Ok("yours".into());
    }
    Err(format!(
        "it belongs to user {uid}, not to this user ({me}). Fix: run the bot (and the doctor) as its owner, or give it \
         to the bot's user (chown -R <user> {}).",
        dir.display()
    ))
}

/// Open to its owner alone: the bot runs with umask 077 and makes it 0700.
fn mode(dir: &Path, mode: u32) -> Result<String, String> {
    if mode & 0o077 != 0 {
        return Err(format!(
            "mode {mode:o} lets other users in, and it holds emails, the audit log and sealed tokens. Fix: chmod -R go= \
             {} (the bot also closes it at its next start).",
            dir.display()
        ));
    }
    if mode & 0o700 != 0o700 {
        return Err(format!("mode {mode:o}: its owner cannot use it. Fix: chmod 700 {}.", dir.display()));
    }
    Ok(format!("mode {mode:o}"))
}

/// Free space on its disk, failing under [`LOW_SPACE`].
fn space(free: Option<u64>) -> Result<String, String> {
    match free {
        Some(free) if free < LOW_SPACE => Err(format!(
            "only {} free on its disk; when the disk fills, every write of the bot fails. Fix: free space there, or \
             move the data dir (M2O_DATA_DIR) to a disk with 1 GiB or more free.",
            bytes(free)
        )),
        Some(free) => Ok(format!("{} free", bytes(free))),
        None => Ok("free space unknown".into()),
    }
}

/// Whether the key the bot would use is the one the store's secrets were sealed with: the same
/// choice as `App::build` (`M2O_SECRET_KEY`, else the key file), and the same test (`key_fit`).
/// `Ok` is a fact, `Err` a problem with its fix. Never prints a key.
fn key(config: &Config, dir: &Path) -> Result<String, String> {
    let (secrets, source) = match &config.secret_key {
        // Already validated with the configuration.
        Some(k) => (Secrets::from_hex(k).ok(), "M2O_SECRET_KEY"),
        None => match Secrets::read_key_file(dir) {
            Ok(s) => (s, KEY_FILE),
            Err(e) => {
                return Err(format!(
                    "its key file cannot be read ({e}). Fix: restore {KEY_FILE} from the backup made with this data \
                     dir, or set M2O_SECRET_KEY to its key."
                ))
            }
        },
    };
    if !Store::exists_in(dir) {
        return Ok(match secrets {
            Some(_) => format!("no store yet; the secret key ({source}) will seal its secrets"),
            None => format!("no store yet; the bot makes one and a {KEY_FILE} at first start"),
        });
    }
    let store = match Store::open_as_is(dir) {
        Ok(store) => store,
        Err(StoreError::InUse(_)) => {
            return Ok("the store is open in a running m2o-bot, so the secret key was not checked (sled lets one \
                       process open it at a time; stop the bot to check it)"
                .into())
        }
        Err(e) => return Err(format!("{e}.")),
    };
    let Some(secrets) = secrets else {
        return if store.is_empty() {
            Ok(format!("the store is empty; a {KEY_FILE} is made at first start"))
        } else {
            Err(format!(
                "it holds data but no secret key (M2O_SECRET_KEY is unset and there is no {KEY_FILE}), and the bot \
                 refuses to start so. Fix: restore {KEY_FILE} from the backup made with this data dir, or set \
                 M2O_SECRET_KEY to its key."
            ))
        };
    };
    match store.key_fit(&secrets) {
        Ok(KeyFit::Recorded) => Ok(format!("the secret key ({source}) is the one its secrets were sealed with")),
        Ok(KeyFit::Opens) => Ok(format!("the secret key ({source}) opens its sealed tokens")),
        Ok(KeyFit::NothingSealed) => Ok(format!("nothing is sealed yet, so the secret key ({source}) fits")),
        Ok(KeyFit::Wrong) => Err(format!(
            "the secret key ({source}) is not the one its secrets were sealed with, and the bot refuses to start so. \
             Fix: use the key this data dir was made with (M2O_SECRET_KEY, or {KEY_FILE} from its backup)."
        )),
        Err(e) => Err(format!("the store cannot be read ({e}). Fix: restore the data dir from a backup.")),
    }
}

/// The dir itself or the closest folder above it that exists.
fn nearest_existing(dir: &Path) -> Option<PathBuf> {
    dir.ancestors().skip(1).find(|p| p.is_dir()).map(Path::to_path_buf)
}

/// Whether this user may create entries in `dir` (access(2) with W_OK | X_OK).
fn writable(dir: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let Ok(path) = std::ffi::CString::new(dir.as_os_str().as_bytes()) else { return false };
    // SAFETY: `path` is a NUL-terminated string that lives across the call.
    unsafe { libc::access(path.as_ptr(), libc::W_OK | libc::X_OK) == 0 }
}

/// Bytes free for an unprivileged user on the disk holding `dir` (statvfs(3): `f_bavail`, not
/// `f_bfree`, which counts the blocks reserved for root).
fn free_bytes(dir: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let path = std::ffi::CString::new(dir.as_os_str().as_bytes()).ok()?;
    // SAFETY: statvfs is plain data; all zeroes is a valid value for it.
    let mut stat: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: `path` is NUL-terminated and `stat` a valid place to write the answer.
    if unsafe { libc::statvfs(path.as_ptr(), &mut stat) } != 0 {
        return None;
    }
    // The fields' integer types differ between platforms.
    #[allow(clippy::unnecessary_cast)]
    Some((stat.f_bavail as u64).saturating_mul(stat.f_frsize as u64))
}

/// "41.2 GiB", or "512 MiB" under a GiB.
fn bytes(n: u64) -> String {
    const GIB: f64 = (1u64 << 30) as f64;
    if n >= 1 << 30 {
        format!("{:.1} GiB", n as f64 / GIB)
    } else {
        format!("{} MiB", n >> 20)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_like_a_person_writes_them() {
        assert_eq!(bytes(41_234_567_890), "38.4 GiB");
        assert_eq!(bytes(1 << 30), "1.0 GiB");
        assert_eq!(bytes(512 << 20), "512 MiB");
    }

    #[test]
    fn little_space_mode_and_owner_problems_come_with_their_fix() {
        assert_eq!(space(Some(5 << 30)), Ok("5.0 GiB free".into()));
        let low = space(Some(300 << 20)).unwrap_err();
        assert!(low.starts_with("only 300 MiB free") && low.contains("Fix:"), "{low}");
        let dir = Path::new("/srv/m2o/data");
        assert_eq!(mode(dir, 0o700), Ok("mode 700".into()));
        assert!(mode(dir, 0o750).unwrap_err().contains("chmod -R go= /srv/m2o/data"));
        assert!(mode(dir, 0o500).unwrap_err().contains("chmod 700 /srv/m2o/data"));
        // SAFETY: as in `owner`.
        let me = unsafe { libc::geteuid() };
        assert_eq!(owner(dir, me), Ok("yours".into()));
        assert!(owner(dir, me + 1).unwrap_err().contains("chown -R <user> /srv/m2o/data"));
    }

    #[test]
    fn facts_read_as_one_sentence() {
        let mut seen = Seen::default();
        seen.add(Ok("yours".into()));
        seen.add(Ok("mode 700".into()));
        seen.add(Err("a problem. Fix: this.".into()));
        seen.add(Ok("41.2 GiB free".into()));
        seen.note("the secret key (secret.key) fits".into());
        assert_eq!(seen.fine(), "yours, mode 700, 41.2 GiB free; the secret key (secret.key) fits");
        let mut missing = Seen::default();
        missing.note("not there yet".into());
        missing.add(Ok("9.0 GiB free".into()));
        missing.note("a new key is made".into());
        assert_eq!(missing.fine(), "not there yet; 9.0 GiB free; a new key is made");
    }
}
