// SPDX-License-Identifier: MIT
//! Time in jiffies, as the kernel's `kernel::time`, for timeouts.

use crate::bindings;

/// Clock ticks: [`HZ`] a second.
pub type Jiffies = core::ffi::c_ulong;

/// Milliseconds.
pub type Msecs = u32;

/// Jiffies a second.
pub const HZ: Jiffies = bindings::HZ;

/// `msecs` in jiffies.
#[inline]
pub fn msecs_to_jiffies(msecs: Msecs) -> Jiffies {
    // SAFETY: no preconditions.
    unsafe { bindings::ksync_rs_msecs_to_jiffies(msecs) }
}

/// The current jiffies count (ksync's `jiffies`).
#[inline]
pub fn jiffies() -> Jiffies {
    // SAFETY: no preconditions.
    unsafe { bindings::ksync_jiffies() }
}
