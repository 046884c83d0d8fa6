//! How a core call's result gets back to JavaScript.
//!
//! napi's own promise helper costs, per call, a threadsafe function (created, then closed again
//! on the next turn of the event loop), an environment cleanup hook, and two tasks on napi's
//! runtime. On a small machine those wake-ups and thread switches cost more than the request
//! itself. The bridge here does the same with one task per call and one long-lived threadsafe
//! function per JavaScript environment:
//!
//! - `js/index.js` registers two functions once ([`register_bridge`]): `newPending(id)`, which
//!   makes the promise of a call, and `settle(batch)`, which resolves or rejects the promises of
//!   finished calls;
//! - [`promise`] takes an id, gets the promise from `newPending(id)` and runs the core future as
//!   one task on the core's shared runtime;
//! - a finished task queues its result; the first result queued after a `settle` asks the
//!   threadsafe function for one call, so a burst of results is settled in one turn of the event
//!   loop, with the JavaScript values made there.
//!
//! The threadsafe function is weak (it never keeps the process alive); `js/index.js` keeps the
//! event loop alive while any call is pending. Without a registered bridge (the `hopx` command's
//! entry loads only the addon) calls take napi's own helper.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError, Weak};
use std::task::{Context, Poll};

use napi::bindgen_prelude::{Function, FunctionRef, PromiseRaw, ToNapiValue, Unknown};
use napi::sys::napi_value;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::{Env, JsError, JsValue, Status};
use napi_derive::napi;

use crate::errors;

/// A finished call, turned into its JavaScript value on the JavaScript thread: `(rejected,
/// value)`.
type Settlement = Box<dyn for<'a> FnOnce(&'a Env) -> napi::Result<(bool, Unknown<'a>)> + Send>;

/// The flat batch handed to `settle`: `[id, rejected, value, id, rejected, value, ...]`.
type Batch = Vec<napi_value>;

/// What the runtime's threads share with one JavaScript environment.
struct Shared {
    queue: Mutex<Vec<(u32, Settlement)>>,
    /// A `settle` call was asked for and has not taken the queue yet.
    scheduled: AtomicBool,
    wake: ThreadsafeFunction<(), (), Batch, Status, false, true>,
}

impl Shared {
    fn push(&self, id: u32, settlement: Settlement) {
        self.queue
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((id, settlement));
        if !self.scheduled.swap(true, Ordering::AcqRel) {
            // Fails only while the environment shuts down, when nobody waits for the result.
            let _ = self.wake.call((), ThreadsafeFunctionCallMode::NonBlocking);
        }
    }

    /// On the JavaScript thread: every queued result as a batch for `settle`.
    fn take(&self, env: &Env) -> napi::Result<Batch> {
        // Before taking: a result queued after this point asks for another call.
        self.scheduled.store(false, Ordering::Release);
        let taken = std::mem::take(&mut *self.queue.lock().unwrap_or_else(PoisonError::into_inner));
        let mut batch = Vec::with_capacity(taken.len() * 3);
        for (id, settlement) in taken {
            let (rejected, value) = match settlement(env) {
                Ok(settled) => settled,
                // The value could not be made (e.g. out of memory): reject with why.
                Err(error) => (true, JsError::from(error).into_unknown(*env)),
            };
            batch.push(id.into_unknown(env)?.raw());
            batch.push(rejected.into_unknown(env)?.raw());
            batch.push(value.raw());
        }
        Ok(batch)
    }
}

/// The bridge of the JavaScript environment of this thread.
struct Bridge {
    shared: Arc<Shared>,
    new_pending: FunctionRef<u32, Unknown<'static>>,
    next_id: Cell<u32>,
}

thread_local! {
    /// One environment per JavaScript thread (the main thread, or a worker thread's).
    static BRIDGE: RefCell<Option<Bridge>> = const { RefCell::new(None) };
}

/// Called once by `js/index.js` with the two functions of the bridge (see the module docs).
#[napi]
pub fn register_bridge(
    new_pending: Function<u32, Unknown<'static>>,
    settle: Function<Batch, ()>,
) -> napi::Result<()> {
    // The callback needs the queue, and the queue's owner holds the threadsafe function the
    // callback belongs to: the callback gets a weak handle, filled in once both exist.
    let slot: Arc<OnceLock<Weak<Shared>>> = Arc::new(OnceLock::new());
    let for_callback = slot.clone();
    let wake = settle
        .build_threadsafe_function::<()>()
        .callee_handled::<false>()
        .weak::<true>()
        .build_callback(
            move |ctx| match for_callback.get().and_then(Weak::upgrade) {
                Some(shared) => shared.take(&ctx.env),
                None => Ok(Vec::new()),
            },
        )?;
    let shared = Arc::new(Shared {
        queue: Mutex::new(Vec::new()),
        scheduled: AtomicBool::new(false),
        wake,
    });
    let _ = slot.set(Arc::downgrade(&shared));
    let bridge = Bridge {
        shared,
        new_pending: new_pending.create_ref()?,
        next_id: Cell::new(0),
    };
    BRIDGE.with(|slot| *slot.borrow_mut() = Some(bridge));
    Ok(())
}

/// Runs a core call on the shared runtime as a Promise (see the module docs).
///
/// The error becomes a JavaScript error on the JavaScript thread, so the promise is rejected
/// with the very object `errors::to_napi_error` makes (with its `HOPX_ERROR` code).
pub(crate) fn promise<'env, V, F>(env: &'env Env, call: F) -> napi::Result<PromiseRaw<'env, V>>
where
    V: ToNapiValue + Send + 'static,
    F: Future<Output = hopx::Result<V>> + Send + 'static,
{
    let registered = BRIDGE.with(|slot| {
        let slot = slot.borrow();
        let bridge = slot.as_ref()?;
        let id = bridge.next_id.get().wrapping_add(1);
        bridge.next_id.set(id);
        Some((
            id,
            bridge.shared.clone(),
            bridge.new_pending.borrow_back(env),
        ))
    });
    let Some((id, shared, new_pending)) = registered else {
        return napi_promise(env, call);
    };
    let pending = new_pending?.call(id)?;
    hopx::runtime::shared().spawn(async move {
        let settlement: Settlement = match (CatchUnwind {
            future: Box::pin(call),
        })
        .await
        {
            Ok(Ok(value)) => Box::new(move |env: &Env| Ok((false, value.into_unknown(env)?))),
            Ok(Err(error)) => Box::new(move |env: &Env| {
                Ok((
                    true,
                    JsError::from(errors::to_napi_error(error)).into_unknown(*env),
                ))
            }),
            Err(()) => Box::new(move |env: &Env| {
                let error = napi::Error::new(Status::GenericFailure, "the hopx task panicked");
                Ok((true, JsError::from(error).into_unknown(*env)))
            }),
        };
        shared.push(id, settlement);
    });
    Ok(PromiseRaw::new(env.raw(), pending.raw()))
}

/// napi's own helper, for calls made before (or without) a registered bridge.
fn napi_promise<'env, V, F>(env: &'env Env, call: F) -> napi::Result<PromiseRaw<'env, V>>
where
    V: ToNapiValue + Send + 'static,
    F: Future<Output = hopx::Result<V>> + Send + 'static,
{
    env.spawn_future_with_callback(async move { Ok(call.await) }, |env, result| {
        result.map_err(|error| {
            napi::Error::from(JsError::from(errors::to_napi_error(error)).into_unknown(*env))
        })
    })
}

/// A future's output, or `Err(())` if polling it panicked (the promise is then rejected
/// instead of never settling).
struct CatchUnwind<F> {
    future: Pin<Box<F>>,
}

impl<F: Future> Future for CatchUnwind<F> {
    type Output = Result<F::Output, ()>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let future = self.future.as_mut();
        match std::panic::catch_unwind(AssertUnwindSafe(|| future.poll(cx))) {
            Ok(Poll::Ready(output)) => Poll::Ready(Ok(output)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(_) => Poll::Ready(Err(())),
        }
    }
}
