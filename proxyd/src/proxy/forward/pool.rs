//! Per-thread pools of copy buffers and `splice(2)` pipes. A buffer or pipe is held only while
//! bytes are in flight, so a few per thread serve every connection: no allocation, zeroing,
//! `pipe2` or `close` per read. Only empty pipes go back to the pool; a pipe dropped with bytes
//! in it (the destination failed mid-burst) is simply closed.

use std::cell::RefCell;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// Pipes that exist, and those of them idle in a pool: `show info` reports `PipesUsed` and
/// `PipesFree` from these. Touched only when a pipe is created, pooled or closed, never per
/// byte.
static PIPES_TOTAL: AtomicU64 = AtomicU64::new(0);
static PIPES_FREE: AtomicU64 = AtomicU64::new(0);

/// Bytes sent with `splice(2)`, HAProxy's `TotalSplicedBytesOut`; added once per splice call.
static SPLICED_OUT: AtomicU64 = AtomicU64::new(0);

pub fn spliced_bytes_out() -> u64 {
    SPLICED_OUT.load(Relaxed)
}

/// (pipes in use, pipes idle in the pools).
pub fn pipe_counts() -> (u64, u64) {
    let free = PIPES_FREE.load(Relaxed);
    (PIPES_TOTAL.load(Relaxed).saturating_sub(free), free)
}

/// Bytes asked for per splice call: the default pipe capacity (16 pages).
const PIPE_CHUNK: usize = 64 * 1024;
/// Pipes kept per thread; beyond that a returned pipe is closed.
const POOL_MAX: usize = 64;
/// Copy buffers kept per thread (16 KiB each); beyond that a returned buffer is freed.
const BUF_POOL_MAX: usize = 16;

/// Size of a copy buffer, HAProxy's default `tune.bufsize`.
pub const BUF_SIZE: usize = 16 * 1024;

pub struct Pipe {
    read: OwnedFd,
    write: OwnedFd,
}

thread_local! {
    static POOL: RefCell<Vec<Pipe>> = const { RefCell::new(Vec::new()) };
    static BUFS: RefCell<Vec<Box<[u8]>>> = const { RefCell::new(Vec::new()) };
}

/// A copy buffer of [`BUF_SIZE`] bytes from this thread's pool, or a new one.
pub fn take_buf() -> Box<[u8]> {
    BUFS.with(|pool| pool.borrow_mut().pop())
        .unwrap_or_else(|| vec![0u8; BUF_SIZE].into_boxed_slice())
}

/// Return a buffer taken with [`take_buf`].
pub fn give_back_buf(buf: Box<[u8]>) {
    BUFS.with(|pool| {
        let mut pool = pool.borrow_mut();
        if pool.len() < BUF_POOL_MAX {
            pool.push(buf);
        }
    });
}

impl Pipe {
    /// An empty pipe from this thread's pool, or a new one; `None` when out of descriptors.
    pub fn take() -> Option<Pipe> {
        if let Some(p) = POOL.with(|pool| pool.borrow_mut().pop()) {
            PIPES_FREE.fetch_sub(1, Relaxed);
            return Some(p);
        }
        Pipe::create().ok()
    }

    fn create() -> io::Result<Pipe> {
        let mut fds: [libc::c_int; 2] = [-1, -1];
        // SAFETY: pipe2 writes two descriptors into the array, which lives across the call.
        let rc = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_NONBLOCK | libc::O_CLOEXEC) };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: both descriptors were just created by pipe2 and nothing else owns them.
        let (read, write) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
        PIPES_TOTAL.fetch_add(1, Relaxed);
        Ok(Pipe { read, write })
    }

    /// Return an empty pipe to this thread's pool.
    pub fn give_back(self) {
        POOL.with(|pool| {
            let mut pool = pool.borrow_mut();
            if pool.len() < POOL_MAX {
                PIPES_FREE.fetch_add(1, Relaxed);
                pool.push(self);
            }
        });
    }

    /// Move up to one pipe's worth of bytes from a socket into the (empty) pipe. `Ok(0)` is the
    /// source's end of stream.
    pub fn fill_from(&self, src: &impl AsRawFd) -> io::Result<usize> {
        splice(src.as_raw_fd(), self.write.as_raw_fd(), PIPE_CHUNK)
    }

    /// Move up to `len` bytes held in the pipe into a socket.
    pub fn drain_to(&self, dst: &impl AsRawFd, len: usize) -> io::Result<usize> {
        let n = splice(self.read.as_raw_fd(), dst.as_raw_fd(), len)?;
        SPLICED_OUT.fetch_add(n as u64, Relaxed);
        Ok(n)
    }
}

impl Drop for Pipe {
    fn drop(&mut self) {
        PIPES_TOTAL.fetch_sub(1, Relaxed);
    }
}

fn splice(from: RawFd, to: RawFd, len: usize) -> io::Result<usize> {
    // SAFETY: both descriptors are open for the duration of the call (borrowed from owners
    // that outlive it); null offsets are required for pipes and sockets. Non-blocking on both
    // ends, so the call never parks the runtime thread.
    let n = unsafe {
        libc::splice(
            from,
            std::ptr::null_mut(),
            to,
            std::ptr::null_mut(),
            len,
            libc::SPLICE_F_MOVE | libc::SPLICE_F_NONBLOCK,
        )
    };
    if n < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(n as usize)
    }
}
