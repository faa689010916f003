//! Process-level chores HAProxy does after binding: going to the background, dropping
//! privileges, telling systemd we are ready.

use std::io::{Read, Write};
use std::os::fd::{FromRawFd, OwnedFd};
use std::path::Path;

/// The child's end of the pipe that tells the parent how start-up went.
pub struct ReadyPipe(std::fs::File);

impl ReadyPipe {
    pub fn ready(mut self) {
        let _ = self.0.write_all(b"OK");
    }
    pub fn fail(mut self, msg: &str) {
        let _ = self.0.write_all(msg.as_bytes());
    }
}

/// Fork into the background. The parent waits for the child's verdict and exits with it, so
/// `proxyd -D` still fails loudly when a port cannot be bound.
pub fn daemonize() -> Result<Option<ReadyPipe>, String> {
    let mut fds = [0i32; 2];
    // SAFETY: pipe() writes two descriptors into the array we own.
    if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
        return Err(format!(
            "cannot create pipe: {}",
            std::io::Error::last_os_error()
        ));
    }
    // SAFETY: both descriptors were just created and are owned by nobody else.
    let (rd, wr) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    // SAFETY: no other thread exists yet (the runtime is built after this), so fork is sound.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(format!("cannot fork: {}", std::io::Error::last_os_error()));
    }
    if pid > 0 {
        drop(wr);
        let mut verdict = String::new();
        let _ = std::fs::File::from(rd).read_to_string(&mut verdict);
        if verdict == "OK" {
            std::process::exit(0);
        }
        // The background process has no stderr any more: its reason is printed here, in the
        // same `[ALERT]` form a foreground start would have used.
        if !verdict.is_empty() {
            proxyd::logging::console(proxyd::logging::Severity::Alert, &verdict);
        }
        std::process::exit(1);
    }
    drop(rd);
    // SAFETY: plain syscalls on our own process.
    unsafe {
        libc::setsid();
        let null = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR);
        if null >= 0 {
            libc::dup2(null, 0);
            libc::dup2(null, 1);
            libc::dup2(null, 2);
            if null > 2 {
                libc::close(null);
            }
        }
    }
    Ok(Some(ReadyPipe(std::fs::File::from(wr))))
}

fn cstring(s: &str) -> Result<std::ffi::CString, String> {
    std::ffi::CString::new(s).map_err(|_| format!("invalid name '{s}'"))
}

/// chroot, then group, then user — the order that keeps the rights needed for each step.
pub fn drop_to(
    user: Option<&str>,
    group: Option<&str>,
    chroot: Option<&Path>,
) -> Result<(), String> {
    let uid = match user {
        Some(u) => Some(lookup_user(u)?),
        None => None,
    };
    let gid = match group {
        Some(g) => Some(lookup_group(g)?),
        None => None,
    };
    if let Some(dir) = chroot {
        let c = cstring(&dir.to_string_lossy())?;
        // SAFETY: c is a valid NUL-terminated path.
        if unsafe { libc::chroot(c.as_ptr()) } != 0 || std::env::set_current_dir("/").is_err() {
            return Err(format!(
                "[proxyd.main()] Cannot chroot({}): {}",
                dir.display(),
                std::io::Error::last_os_error()
            ));
        }
    }
    if let Some(g) = gid {
        // SAFETY: setgroups with an empty list and setgid only change our own credentials.
        if unsafe { libc::setgroups(0, std::ptr::null()) } != 0 || unsafe { libc::setgid(g) } != 0 {
            return Err(format!(
                "[proxyd.main()] Cannot set gid {g}: {}",
                std::io::Error::last_os_error()
            ));
        }
    }
    if let Some(u) = uid {
        // SAFETY: setuid only changes our own credentials.
        if unsafe { libc::setuid(u) } != 0 {
            return Err(format!(
                "[proxyd.main()] Cannot set uid {u}: {}",
                std::io::Error::last_os_error()
            ));
        }
    }
    Ok(())
}

fn lookup_user(name: &str) -> Result<u32, String> {
    if let Ok(n) = name.parse() {
        return Ok(n);
    }
    let c = cstring(name)?;
    // SAFETY: getpwnam returns a pointer into static storage or NULL; we only read one field.
    let pw = unsafe { libc::getpwnam(c.as_ptr()) };
    if pw.is_null() {
        return Err(format!("[proxyd.main()] Cannot find user '{name}'."));
    }
    // SAFETY: pw is non-null and points to a valid passwd entry.
    Ok(unsafe { (*pw).pw_uid })
}

fn lookup_group(name: &str) -> Result<u32, String> {
    if let Ok(n) = name.parse() {
        return Ok(n);
    }
    let c = cstring(name)?;
    // SAFETY: getgrnam returns a pointer into static storage or NULL; we only read one field.
    let gr = unsafe { libc::getgrnam(c.as_ptr()) };
    if gr.is_null() {
        return Err(format!("[proxyd.main()] Cannot find group '{name}'."));
    }
    // SAFETY: gr is non-null and points to a valid group entry.
    Ok(unsafe { (*gr).gr_gid })
}

/// sd_notify(3) without libsystemd: one datagram to `$NOTIFY_SOCKET`.
pub fn notify_systemd(state: &str) {
    let Ok(path) = std::env::var("NOTIFY_SOCKET") else {
        return;
    };
    let Ok(sock) = std::os::unix::net::UnixDatagram::unbound() else {
        return;
    };
    if let Some(abstract_name) = path.strip_prefix('@') {
        use std::os::linux::net::SocketAddrExt;
        if let Ok(addr) = std::os::unix::net::SocketAddr::from_abstract_name(abstract_name) {
            let _ = sock.send_to_addr(state.as_bytes(), &addr);
        }
    } else {
        let _ = sock.send_to(state.as_bytes(), &path);
    }
}
