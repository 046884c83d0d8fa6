//! One tokio runtime per process for the language bindings, which have none of their own.
//! Rust users run the client on their own runtime and never touch this.

use std::sync::OnceLock;

/// The shared multi-threaded runtime, started on first use. Two worker threads are plenty:
/// the work is waiting on sockets, and a binding must not claim every core of the host.
pub fn shared() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("hopx-io")
            .enable_all()
            .build()
            .expect("the hopx runtime could not start: the process cannot create threads")
    })
}
