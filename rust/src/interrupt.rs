// SPDX-License-Identifier: MIT
//! Local interrupt state, as the kernel's `kernel::interrupt` (the 2026
//! "refcounted interrupts" series).
//!
//! In ksync an interrupt is a signal requested with `request_irq()` (C
//! API), and "interrupts off" is a per-thread soft mask: a signal that
//! arrives meanwhile runs its handler when the mask is cleared.
//! [`local_interrupt_disable()`] is the counted disable: only the outermost
//! masks, only the last enable unmasks.  It returns the
//! [`LocalInterruptDisabled`] guard, whose reference is the token that
//! proves interrupts are off, for
//! [`SpinLockIrq::lock_with()`](crate::sync::SpinLockIrq::lock_with).
//!
//! ```
//! use ksync::interrupt::{irqs_disabled, local_interrupt_disable};
//!
//! assert!(!irqs_disabled());
//! let outer = local_interrupt_disable();
//! let inner = local_interrupt_disable();
//! drop(outer); // counted: still off
//! assert!(irqs_disabled());
//! drop(inner);
//! assert!(!irqs_disabled());
//! ```
//!
//! The token belongs to the thread that disabled interrupts on itself: it
//! cannot be sent to another thread, nor shared with one.
//!
//! ```compile_fail,E0277
//! use ksync::interrupt::local_interrupt_disable;
//!
//! let irq = local_interrupt_disable();
//! std::thread::scope(|s| {
//!     s.spawn(|| drop(&irq));
//! });
//! ```
//!
//! Nor can one be made out of thin air: only
//! [`local_interrupt_disable()`] and the `unsafe`
//! [`LocalInterruptDisabled::assume_disabled()`] give one.
//!
//! ```compile_fail,E0423
//! use ksync::interrupt::LocalInterruptDisabled;
//!
//! let token = LocalInterruptDisabled(Default::default());
//! ```

use core::ptr::NonNull;

use crate::bindings;
use crate::site;
use crate::types::NotThreadSafe;

/// Proof that local interrupts are off on this thread, and the guard of
/// [`local_interrupt_disable()`]: dropping it is the matching
/// `local_interrupt_enable()`.
///
/// Zero-sized, `!Send` and `!Sync`.  A borrow of it (`&LocalInterruptDisabled`)
/// is the token [`SpinLockIrq::lock_with()`](crate::sync::SpinLockIrq::lock_with)
/// asks for; the lock guard it returns borrows the token, so interrupts
/// cannot be enabled again (the guard dropped) while that lock is held.
pub struct LocalInterruptDisabled(NotThreadSafe);

/// Disables local interrupts on this thread, counted
/// (`local_interrupt_disable()`); they are enabled again when the
/// returned guard and every other such guard are dropped.
#[inline(always)]
#[track_caller]
#[must_use = "interrupts are enabled again when the guard is dropped"]
pub fn local_interrupt_disable() -> LocalInterruptDisabled {
    let site = site::here(c"local_interrupt_disable");
    // SAFETY: no preconditions; the guard makes the matching enable.
    unsafe { bindings::ksync_rs_local_interrupt_disable(site.as_ptr()) };
    LocalInterruptDisabled(NotThreadSafe)
}

impl Drop for LocalInterruptDisabled {
    #[inline(always)]
    fn drop(&mut self) {
        // This guard's disable is still counted: the enable balances it.
        // No site: Drop cannot see where the guard went out of scope.
        // SAFETY: balances the disable that made this guard.
        unsafe { bindings::ksync_rs_local_interrupt_enable(core::ptr::null()) };
    }
}

impl LocalInterruptDisabled {
    /// A token for code that runs with interrupts off without having
    /// disabled them itself (in the kernel, an interrupt handler).  With
    /// `KSYNC_DEBUG` or `KSYNC_LOCKDEP` on, a call while interrupts are on
    /// is reported.
    ///
    /// # Safety
    ///
    /// Local interrupts are off on this thread for all of `'a`.
    #[inline(always)]
    #[track_caller]
    pub unsafe fn assume_disabled<'a>() -> &'a LocalInterruptDisabled {
        let site = site::here(c"LocalInterruptDisabled::assume_disabled");
        // SAFETY: only checks, with debugging on.
        unsafe {
            bindings::ksync_rs_check_token(
                c"LocalInterruptDisabled::assume_disabled".as_ptr(),
                site.as_ptr(),
            )
        };
        // SAFETY: a zero-sized type: any aligned non-null pointer is a
        // valid reference to it.  Nothing is dropped through a reference.
        unsafe { NonNull::dangling().as_ref() }
    }
}

/// Whether local interrupts are off on this thread (`irqs_disabled()`).
#[inline]
pub fn irqs_disabled() -> bool {
    // SAFETY: no preconditions.
    unsafe { bindings::ksync_rs_irqs_disabled() != 0 }
}

/// The nesting depth of [`local_interrupt_disable()`] on this thread.
#[inline]
pub fn local_interrupt_disable_count() -> u32 {
    // SAFETY: no preconditions.
    unsafe { bindings::ksync_rs_local_interrupt_disable_count() }
}
