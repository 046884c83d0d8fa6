//! The ways a binding waits on the core: blocking with the GIL released (`wait_spawned` for a
//! future that owns its data, as the class-level calls do; `wait` for one that borrows), or as
//! a coroutine awaiting a task on the shared runtime (`spawn`). Plus what leaving a `with`
//! block does with a failed cleanup (`after_scope`).
//!
//! Every SDK call goes through one of the three, so each starts by copying the `hopx_ai`
//! logger's level to the core (`logging::sync_level`). And none of them ever blocks while
//! holding the GIL: the core's log sink takes the GIL on the runtime's thread, so a thread
//! that held the GIL while waiting on the runtime would deadlock with it.

use std::future::Future;
#[cfg(unix)]
use std::io::{Read, Write};
#[cfg(unix)]
use std::os::{fd::AsRawFd, unix::net::UnixStream};
#[cfg(unix)]
use std::pin::Pin;
#[cfg(unix)]
use std::sync::atomic::{AtomicBool, Ordering};
#[cfg(unix)]
use std::sync::{Arc, Mutex};
#[cfg(unix)]
use std::task::{Context, Poll, Wake, Waker};

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
#[cfg(unix)]
use pyo3::sync::{MutexExt, PyOnceLock};
#[cfg(unix)]
use pyo3::types::PyCFunction;

use crate::errors::to_py_err;

/// How often a blocking call looks for Ctrl-C (and other signals) while it waits.
const SIGNAL_CHECK: std::time::Duration = std::time::Duration::from_millis(100);

/// Runs a core future to completion on the shared runtime with the GIL released, so other
/// Python threads run while this one waits on the network. Ctrl-C still works: every 100 ms
/// the wait takes the GIL briefly to run Python's signal handlers, and a `KeyboardInterrupt`
/// (or any exception a handler raises) drops the future, which cancels the request.
pub(crate) fn wait<T: Send>(
    py: Python<'_>,
    future: impl Future<Output = hopx::Result<T>> + Send,
) -> PyResult<T> {
    crate::logging::sync_level(py);
    let outcome: PyResult<hopx::Result<T>> = py.detach(|| {
        hopx::runtime::shared().block_on(async {
            let mut future = std::pin::pin!(future);
            loop {
                tokio::select! {
                    result = &mut future => return Ok(result),
                    () = tokio::time::sleep(SIGNAL_CHECK) => {
                        Python::attach(|py| py.check_signals())?;
                    }
                }
            }
        })
    });
    outcome?.map_err(|e| to_py_err(py, e))
}

/// Like [`wait`], for a future that owns its data: the whole call runs as one task on the
/// runtime, so the calling thread hands over once and is woken once. [`wait`] polls the request
/// on the calling thread while the connection's I/O runs on the runtime's thread, and the two
/// trade wake-ups at every step of the request (about 5 more futex calls per call, and a call
/// 20–30% slower on a 2-core machine; see `bench/`). Same Ctrl-C handling: a
/// `KeyboardInterrupt` aborts the task, which cancels the request.
pub(crate) fn wait_spawned<T: Send + 'static>(
    py: Python<'_>,
    future: impl Future<Output = hopx::Result<T>> + Send + 'static,
) -> PyResult<T> {
    crate::logging::sync_level(py);
    let runtime = hopx::runtime::shared();
    let outcome: PyResult<hopx::Result<T>> = py.detach(|| {
        let mut task = AbortOnDrop(runtime.spawn(future));
        runtime.block_on(async {
            loop {
                tokio::select! {
                    joined = &mut task.0 => return joined.map_err(|join| {
                        PyRuntimeError::new_err(format!("the hopx task did not finish: {join}"))
                    }),
                    () = tokio::time::sleep(SIGNAL_CHECK) => {
                        Python::attach(|py| py.check_signals())?;
                    }
                }
            }
        })
    });
    outcome?.map_err(|e| to_py_err(py, e))
}

/// Aborts the task when dropped: a cancelled coroutine (`asyncio.wait_for`, task.cancel())
/// cancels its request instead of leaving it running unobserved.
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Runs a core future on the shared runtime (it needs tokio's reactor) and awaits it from the
/// Python coroutine. Python objects are made only after the await, back on the caller's side.
///
/// The runtime's threads never touch Python: when the task finishes, the coroutine's waker is
/// handed to the event loop's own thread through [`LoopWaker`] (a socket the loop watches),
/// and woken there. Waking it on a runtime thread would take the GIL there, and a thread
/// without a Python thread state pays for creating and destroying one (an mmap and a munmap
/// with a TLB shootdown) on every wake-up; it would also run Python code on a thread the
/// interpreter knows nothing about while it shuts down. Only where the loop cannot watch a
/// socket (e.g. the Windows proactor loop) is the waker called directly.
pub(crate) async fn spawn<T: Send + 'static>(
    future: impl Future<Output = hopx::Result<T>> + Send + 'static,
) -> PyResult<T> {
    // Polled by the event loop with the GIL held, so attaching costs nothing here.
    Python::attach(crate::logging::sync_level);
    let mut task = AbortOnDrop(hopx::runtime::shared().spawn(future));
    #[cfg(not(unix))]
    let joined = (&mut task.0).await;
    #[cfg(unix)]
    let joined = match Python::attach(LoopWaker::for_running_loop).ok() {
        Some(loop_waker) => {
            WakeOnLoop {
                handle: &mut task.0,
                loop_waker,
            }
            .await
        }
        None => (&mut task.0).await,
    };
    match joined {
        Ok(result) => result.map_err(|e| Python::attach(|py| to_py_err(py, e))),
        Err(join) => Err(PyRuntimeError::new_err(format!(
            "the hopx task did not finish: {join}"
        ))),
    }
}

/// Awaits a task, relaying its wake-up to the event loop's thread.
#[cfg(unix)]
struct WakeOnLoop<'a, T> {
    handle: &'a mut tokio::task::JoinHandle<T>,
    loop_waker: Arc<LoopWaker>,
}

#[cfg(unix)]
impl<T> Future for WakeOnLoop<'_, T> {
    type Output = Result<T, tokio::task::JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let relay = Waker::from(Arc::new(Relay {
            loop_waker: this.loop_waker.clone(),
            waker: cx.waker().clone(),
        }));
        Pin::new(&mut *this.handle).poll(&mut Context::from_waker(&relay))
    }
}

/// The waker the task sees: it queues the coroutine's own waker for the loop's thread.
#[cfg(unix)]
struct Relay {
    loop_waker: Arc<LoopWaker>,
    waker: Waker,
}

#[cfg(unix)]
impl Wake for Relay {
    fn wake(self: Arc<Self>) {
        self.loop_waker.push(self.waker.clone());
    }
}

/// One per event loop: wakers queued by the runtime's threads, and a socket pair whose read
/// end the loop watches (`loop.add_reader`). Queuing writes one byte only when the queue was
/// not already signalled, so a burst of completions costs the loop one wake-up; the loop's
/// callback then wakes every queued coroutine on its own thread, with the GIL it already holds.
#[cfg(unix)]
struct LoopWaker {
    queue: Mutex<Vec<Waker>>,
    signalled: AtomicBool,
    tx: UnixStream,
    rx: UnixStream,
}

/// The loops that have a [`LoopWaker`], with the process they belong to (a forked child
/// starts afresh, as the runtime does).
#[cfg(unix)]
struct Registry {
    pid: u32,
    /// `None` for a loop that cannot watch a socket (asked once, not at every call).
    loops: Vec<(Py<PyAny>, Option<Arc<LoopWaker>>)>,
}

#[cfg(unix)]
impl LoopWaker {
    fn push(&self, waker: Waker) {
        lock(&self.queue).push(waker);
        if !self.signalled.swap(true, Ordering::AcqRel) {
            // Cannot block: at most one byte is unread at any time.
            let _ = (&self.tx).write(&[1]);
        }
    }

    /// The loop's callback: wakes every queued coroutine (on the loop's thread).
    fn drain(&self) {
        // In this order: a byte written after the read belongs to a push that saw the flag
        // down (so its waker is either taken below or signalled again), and a push that saw
        // the flag still up is taken below.
        let mut buffer = [0u8; 64];
        while matches!((&self.rx).read(&mut buffer), Ok(n) if n > 0) {}
        self.signalled.store(false, Ordering::Release);
        let wakers = std::mem::take(&mut *lock(&self.queue));
        for waker in wakers {
            waker.wake();
        }
    }

    /// The waker of the running event loop, made and registered on first use. Fails when
    /// there is no running loop or it cannot watch a socket; the caller then wakes directly.
    fn for_running_loop(py: Python<'_>) -> PyResult<Arc<LoopWaker>> {
        static GET_RUNNING_LOOP: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
        static REGISTRY: Mutex<Option<Registry>> = Mutex::new(None);
        let get_running_loop = GET_RUNNING_LOOP.get_or_try_init(py, || {
            Ok::<_, PyErr>(py.import("asyncio")?.getattr("get_running_loop")?.unbind())
        })?;
        let event_loop = get_running_loop.call0(py)?;
        // Waits for the lock without the GIL: the thread holding it calls into Python below
        // (`is_closed`, `add_reader`), which may let another thread take the GIL and arrive
        // here; blocking with the GIL held would deadlock the two.
        let mut registry = REGISTRY
            .lock_py_attached(py)
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let pid = std::process::id();
        let registry = match &mut *registry {
            Some(r) if r.pid == pid => r,
            slot => {
                // A parent's entries are forgotten, not dropped (their sockets and loops
                // belong to the parent).
                if let Some(old) = slot.take() {
                    std::mem::forget(old);
                }
                slot.insert(Registry {
                    pid,
                    loops: Vec::new(),
                })
            }
        };
        if let Some((_, waker)) = registry.loops.iter().find(|(l, _)| l.is(&event_loop)) {
            return waker
                .clone()
                .ok_or_else(|| PyRuntimeError::new_err("this event loop cannot watch a socket"));
        }
        // A new loop (asyncio.run makes one per run): forget the ones that were closed.
        registry.loops.retain(|(l, _)| {
            !l.call_method0(py, "is_closed")
                .and_then(|closed| closed.extract::<bool>(py))
                .unwrap_or(true)
        });
        let (tx, rx) = UnixStream::pair()
            .map_err(|e| PyRuntimeError::new_err(format!("no socket pair: {e}")))?;
        for end in [&tx, &rx] {
            end.set_nonblocking(true)
                .map_err(|e| PyRuntimeError::new_err(format!("socket pair: {e}")))?;
        }
        let waker = Arc::new(LoopWaker {
            queue: Mutex::new(Vec::new()),
            signalled: AtomicBool::new(false),
            tx,
            rx,
        });
        let for_callback = waker.clone();
        let callback = PyCFunction::new_closure(py, None, None, move |_args, _kwargs| {
            for_callback.drain();
        })?;
        match event_loop.call_method1(py, "add_reader", (waker.rx.as_raw_fd(), callback)) {
            Ok(_) => {
                registry.loops.push((event_loop, Some(waker.clone())));
                Ok(waker)
            }
            Err(error) => {
                registry.loops.push((event_loop, None));
                Err(error)
            }
        }
    }
}

#[cfg(unix)]
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The end of `__exit__` / `__aexit__`, given how the cleanup (`exit_scope`) went and whether
/// the block is raising. A failed cleanup is never swallowed silently: while the block raises,
/// it is logged as a warning on the `hopx_ai` logger and the block's own exception goes on
/// unchanged; otherwise it is raised. Never suppresses the block's exception.
pub(crate) fn after_scope(
    py: Python<'_>,
    cleanup: PyResult<()>,
    block_raised: bool,
    sandbox_id: &str,
) -> PyResult<()> {
    match cleanup {
        Ok(()) => Ok(()),
        Err(error) if block_raised => {
            if let Err(logging) = log_cleanup_error(py, &error, sandbox_id) {
                // Logging itself failed (a broken handler): still not silent.
                logging.write_unraisable(py, None);
            }
            Ok(())
        }
        Err(error) => Err(error),
    }
}

fn log_cleanup_error(py: Python<'_>, error: &PyErr, sandbox_id: &str) -> PyResult<()> {
    let value = error.value(py);
    let class = value.get_type().name()?;
    let text = value.str()?;
    py.import("logging")?
        .call_method1("getLogger", ("hopx_ai",))?
        .call_method1(
            "warning",
            (
                "Could not kill sandbox %s on leaving the with block (%s: %s); \
                 the block's own exception is raised instead.",
                sandbox_id,
                class,
                text,
            ),
        )?;
    Ok(())
}
