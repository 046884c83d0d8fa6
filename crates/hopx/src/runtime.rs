//! One tokio runtime per process for the language bindings, which have none of their own.
//! Rust users run the client on their own runtime and never touch this.

use std::sync::Mutex;

/// The shared runtime, started on first use, with one worker thread: the work is waiting on
/// sockets, and a binding must not claim every core of the host. A second worker does not make
/// calls faster: the two mostly wake each other up (on a 2-core machine that made a Python or
/// Node call 10–20% slower, and 200 concurrent calls no faster; see `bench/`).
///
/// A `fork()`ed child (Python's multiprocessing does this) inherits the runtime's memory but
/// not its threads, so a child gets a runtime of its own instead of one that never runs.
pub fn shared() -> &'static tokio::runtime::Runtime {
    static RUNTIME: Mutex<Option<(u32, &'static tokio::runtime::Runtime)>> = Mutex::new(None);
    let mut slot = RUNTIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let pid = std::process::id();
    match *slot {
        Some((owner, runtime)) if owner == pid => runtime,
        _ => {
            // Leaked on purpose: it lives as long as the process, and a parent's runtime
            // cannot be shut down from a child.
            let runtime: &'static tokio::runtime::Runtime = Box::leak(Box::new(
                tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(1)
                    .thread_name("hopx-io")
                    .enable_all()
                    .build()
                    .expect("the hopx runtime could not start: the process cannot create threads"),
            ));
            *slot = Some((pid, runtime));
            runtime
        }
    }
}
