// SPDX-License-Identifier: MIT
//! The C side: ksync's types (opaque, laid out by the C compiler at build
//! time) and the functions the crate calls, most of them `ksync_rs_*`
//! wrappers (csrc/shim.c) around ksync's inline entry points.
//!
//! Like the kernel's `bindings` crate this is raw FFI, for [`Backend`]
//! implementations; everything here is `unsafe` to use.
//!
//! [`Backend`]: crate::sync::lock::Backend

#![allow(non_camel_case_types, missing_docs)]

use core::ffi::{c_char, c_int, c_long, c_uint, c_ulong, c_void};

include!(concat!(env!("OUT_DIR"), "/layout.rs"));

/// `struct ksync_site`: where a lock call is written, for reports.
#[repr(C)]
pub struct ksync_site {
    pub file: *const c_char,
    pub func: *const c_char,
    pub expr: *const c_char,
    pub line: c_int,
}

const _: () = assert!(core::mem::size_of::<ksync_site>() == KSYNC_SITE_SIZE);

/// `struct lockdep_map`, only ever pointed to.
#[repr(C)]
pub struct lockdep_map {
    _private: [u8; 0],
}

extern "C" {
    /// Written by libksync before main() (and possibly later, by a lazy
    /// init); an atomic so that Rust allows that.
    pub static ksync_debug_flags: core::sync::atomic::AtomicU32;

    pub fn ksync_rs_spin_lock_fast(lock: *mut spinlock_t);
    pub fn ksync_rs_spin_unlock_fast(lock: *mut spinlock_t);
    pub fn ksync_rs_spin_lock_irq_disable_fast(lock: *mut spinlock_t);
    pub fn ksync_rs_spin_unlock_irq_enable_fast(lock: *mut spinlock_t);
    pub fn ksync_rs_mutex_lock_fast(lock: *mut mutex);
    pub fn ksync_rs_mutex_unlock_fast(lock: *mut mutex);

    pub fn ksync_rs_spin_lock_init(
        lock: *mut spinlock_t,
        name: *const c_char,
        key: *mut lock_class_key,
    );
    pub fn ksync_rs_spin_lock(lock: *mut spinlock_t, site: *const ksync_site);
    pub fn ksync_rs_spin_trylock(lock: *mut spinlock_t, site: *const ksync_site) -> c_int;
    pub fn ksync_rs_spin_unlock(lock: *mut spinlock_t, site: *const ksync_site);
    pub fn ksync_rs_spin_lock_irq_disable(lock: *mut spinlock_t, site: *const ksync_site);
    pub fn ksync_rs_spin_trylock_irq_disable(
        lock: *mut spinlock_t,
        site: *const ksync_site,
    ) -> c_int;
    pub fn ksync_rs_spin_unlock_irq_enable(lock: *mut spinlock_t, site: *const ksync_site);
    pub fn ksync_rs_spin_is_locked(lock: *mut spinlock_t) -> c_int;
    pub fn ksync_rs_spin_dep_map(lock: *mut spinlock_t) -> *mut lockdep_map;

    pub fn ksync_rs_mutex_init(lock: *mut mutex, name: *const c_char, key: *mut lock_class_key);
    pub fn ksync_rs_mutex_lock(lock: *mut mutex, site: *const ksync_site);
    pub fn ksync_rs_mutex_trylock(lock: *mut mutex, site: *const ksync_site) -> c_int;
    pub fn ksync_rs_mutex_unlock(lock: *mut mutex, site: *const ksync_site);
    pub fn ksync_rs_mutex_is_locked(lock: *mut mutex) -> c_int;
    pub fn ksync_rs_mutex_dep_map(lock: *mut mutex) -> *mut lockdep_map;

    pub fn ksync_rs_assert_held(map: *mut lockdep_map, site: *const ksync_site);

    pub fn ksync_rs_local_interrupt_disable(site: *const ksync_site);
    pub fn ksync_rs_local_interrupt_enable(site: *const ksync_site);
    pub fn ksync_rs_irqs_disabled() -> c_int;
    pub fn ksync_rs_local_interrupt_disable_count() -> c_uint;
    pub fn ksync_rs_check_token(what: *const c_char, site: *const ksync_site);
    pub fn ksync_rs_in_irq() -> c_int;

    pub fn ksync_rs_condvar_init(cv: *mut condvar, name: *const c_char, key: *mut lock_class_key);
    pub fn ksync_rs_condvar_wait(
        cv: *mut condvar,
        guard: *mut c_void,
        unlock: unsafe extern "C" fn(*mut c_void),
        relock: unsafe extern "C" fn(*mut c_void),
        interruptible: c_int,
        timeout: c_long,
        site: *const ksync_site,
    ) -> c_long;
    pub fn ksync_condvar_notify(cv: *mut condvar, count: c_int, site: *const ksync_site);
    pub fn ksync_rs_msecs_to_jiffies(ms: c_uint) -> c_ulong;
    pub fn ksync_jiffies() -> c_ulong;

    pub fn ksync_rs_return_address() -> usize;
    pub fn ksync_symbol_name(addr: usize, buf: *mut c_char, len: usize) -> *const c_char;

    pub fn ksync_rs_bench_c_spin(lock: *mut spinlock_t, counter: *mut c_ulong, n: c_ulong);
}

/// Whether any of ksync's run-time debugging (`KSYNC_DEBUG`,
/// `KSYNC_LOCKDEP`, `KSYNC_LOCK_STAT`) is on: `ksync_debug_active()`.
#[inline(always)]
pub fn ksync_debug_active() -> bool {
    // SAFETY: an unsigned int in libksync, with AtomicU32's layout.
    // Relaxed, as the C fast paths: the flags are set before main() and
    // order nothing.
    unsafe { ksync_debug_flags.load(core::sync::atomic::Ordering::Relaxed) != 0 }
}
