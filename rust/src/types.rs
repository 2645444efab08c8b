// SPDX-License-Identifier: MIT
//! Helper types, as in the kernel's `kernel::types`.

use core::cell::UnsafeCell;
use core::marker::{PhantomData, PhantomPinned};
use core::mem::MaybeUninit;

use crate::init::{self, PinInit};

/// A C object embedded in a Rust one: Rust makes no assumption about its
/// contents (C may change them at any time, through any pointer), and it
/// stays where it was initialised (`!Unpin`), as C locks must.
#[repr(transparent)]
pub struct Opaque<T> {
    value: UnsafeCell<MaybeUninit<T>>,
    _pin: PhantomPinned,
}

impl<T> Opaque<T> {
    /// An uninitialised value.
    pub const fn uninit() -> Self {
        Self { value: UnsafeCell::new(MaybeUninit::uninit()), _pin: PhantomPinned }
    }

    /// An initialiser that lets a C function initialise the value in place.
    pub fn ffi_init(init_func: impl FnOnce(*mut T)) -> impl PinInit<Self> {
        // SAFETY: the closure initialises every byte through the C
        // function (an Opaque needs nothing more) and never fails.
        unsafe {
            init::pin_init_from_closure::<_, core::convert::Infallible>(move |slot: *mut Self| {
                init_func(Self::raw_get(slot));
                Ok(())
            })
        }
    }

    /// A raw pointer to the C object.
    pub const fn get(&self) -> *mut T {
        UnsafeCell::get(&self.value).cast()
    }

    /// A raw pointer to the C object inside the `Opaque` at `this`.
    pub const fn raw_get(this: *const Self) -> *mut T {
        UnsafeCell::raw_get(this.cast::<UnsafeCell<MaybeUninit<T>>>()).cast()
    }
}

/// Zero-sized marker that makes a type neither `Send` nor `Sync`: for
/// things that belong to the thread that made them (a lock guard, an
/// interrupts-disabled token).
pub type NotThreadSafe = PhantomData<*mut ()>;

/// The value of [`NotThreadSafe`](type@NotThreadSafe).
#[allow(non_upper_case_globals)]
pub const NotThreadSafe: NotThreadSafe = PhantomData;

/// Runs a closure when dropped, unless dismissed (the kernel's
/// `ScopeGuard`): clean-up that must also happen on unwinding.
pub struct ScopeGuard<F: FnOnce()>(Option<F>);

impl<F: FnOnce()> ScopeGuard<F> {
    /// A guard that runs `cleanup` when dropped.
    pub fn new(cleanup: F) -> Self {
        Self(Some(cleanup))
    }

    /// Drops the guard without running the closure.
    pub fn dismiss(mut self) {
        self.0.take();
    }
}

impl<F: FnOnce()> Drop for ScopeGuard<F> {
    fn drop(&mut self) {
        if let Some(cleanup) = self.0.take() {
            cleanup();
        }
    }
}
