// SPDX-License-Identifier: MIT
//! Call sites for ksync's reports.
//!
//! A C lock call passes a `struct ksync_site` that the compiler made at the
//! call (file, line, function, lock expression).  Rust has no such static
//! per call site that a library could make, so the crate's lock methods
//! are `#[track_caller]`, which gives the caller's `Location` (file, line),
//! and `#[inline(always)]`, so that the code address of the call lies in
//! the caller's own function, whose name the symbol table gives.  The first
//! time a call site is met with debugging on, a `ksync_site` is made for it
//! and kept for the program's life (reports and lockdep's graph keep
//! pointers to sites).  With debugging off none of this runs: the lock
//! functions get a null site, which their fast paths never look at.
//!
//! The table is lock free and allocation free (a fixed table and a bump
//! arena), so it also works inside an interrupt handler (a signal) and
//! never takes a lock that lockdep or the program could see.

use core::ffi::{c_char, CStr};
use core::panic::Location;
use core::ptr;
use core::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};

use crate::bindings::{self, ksync_site};

/// Where a lock was taken, for ksync's reports: a `struct ksync_site`
/// (file, line, function), or none when no debugging is switched on.
///
/// The guards of the crate's locks carry it from lock to unlock (their
/// [`Backend::GuardState`](crate::sync::lock::Backend::GuardState)).
#[derive(Clone, Copy)]
pub struct Site(*const ksync_site);

impl Site {
    /// No record: debugging is off (or the record table is full).
    pub const NONE: Site = Site(ptr::null());

    /// The record of the caller's call site when debugging is on; `expr`
    /// says what was called (the lock expression in C reports).
    #[inline(always)]
    #[track_caller]
    pub fn here(expr: &'static CStr) -> Site {
        here(expr)
    }

    /// This record, or else the caller's.
    #[inline(always)]
    #[track_caller]
    pub fn or_here(self, expr: &'static CStr) -> Site {
        if self.0.is_null() {
            here(expr)
        } else {
            self
        }
    }

    /// The record to pass to C (null for none).
    #[inline(always)]
    pub fn as_ptr(self) -> *const ksync_site {
        self.0
    }
}

/// The record of the caller's call site when debugging is on.  `expr` says
/// what was called, as the lock expression does in C reports.
#[inline(always)]
#[track_caller]
pub fn here(expr: &'static CStr) -> Site {
    if !bindings::ksync_debug_active() {
        return Site::NONE;
    }
    // SAFETY: no preconditions; the address is only looked up.
    let ip = unsafe { bindings::ksync_rs_return_address() };
    intern(Location::caller(), expr, ip)
}

const SLOTS: usize = 4096;

struct Slot {
    /// The call site's Location (its address is the key), claimed once.
    key: AtomicPtr<Location<'static>>,
    /// Its record, published once complete.
    site: AtomicPtr<ksync_site>,
}

#[allow(clippy::declare_interior_mutable_const)]
const EMPTY: Slot =
    Slot { key: AtomicPtr::new(ptr::null_mut()), site: AtomicPtr::new(ptr::null_mut()) };
static TABLE: [Slot; SLOTS] = [EMPTY; SLOTS];

#[cold]
#[inline(never)]
fn intern(loc: &'static Location<'static>, expr: &'static CStr, ip: usize) -> Site {
    let key = loc as *const Location<'static> as *mut Location<'static>;
    let hash = (key as usize >> 3).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 52;
    for i in 0..SLOTS {
        let slot = &TABLE[(hash + i) % SLOTS];
        // Relaxed: the key only claims the slot; the record is published
        // with release/acquire on `site` below.
        match slot.key.compare_exchange(ptr::null_mut(), key, Ordering::Relaxed, Ordering::Relaxed)
        {
            Ok(_) => {
                let site = make_site(loc, expr, ip);
                // Release: the record's contents before its address.
                slot.site.store(site, Ordering::Release);
                return Site(site);
            }
            // Acquire: pairs with the release above.  Null while the
            // claiming thread (perhaps this one, interrupted) is still
            // building it: this call then goes without, rather than wait.
            Err(found) if found == key => return Site(slot.site.load(Ordering::Acquire)),
            Err(_) => continue,
        }
    }
    Site::NONE
}

/// Strings and records, never freed: 1 MiB holds several thousand sites.
const ARENA_SIZE: usize = 1 << 20;

#[repr(C, align(16))]
struct Arena(core::cell::UnsafeCell<[u8; ARENA_SIZE]>);

// SAFETY: every byte is handed out once, by the atomic bump below.
unsafe impl Sync for Arena {}

static ARENA: Arena = Arena(core::cell::UnsafeCell::new([0; ARENA_SIZE]));
static ARENA_USED: AtomicUsize = AtomicUsize::new(0);

/// `len` bytes aligned to `align`, or null when the arena is spent.
fn arena_alloc(len: usize, align: usize) -> *mut u8 {
    // Relaxed: the bump hands out disjoint ranges; what is written into
    // them is published by the release store of the record.
    let mut used = ARENA_USED.load(Ordering::Relaxed);
    loop {
        let start = (used + align - 1) & !(align - 1);
        let end = start + len;
        if end > ARENA_SIZE {
            return ptr::null_mut();
        }
        match ARENA_USED.compare_exchange_weak(used, end, Ordering::Relaxed, Ordering::Relaxed) {
            // SAFETY: start + len is inside the arena.
            Ok(_) => return unsafe { ARENA.0.get().cast::<u8>().add(start) },
            Err(now) => used = now,
        }
    }
}

/// A NUL-terminated copy of `bytes` in the arena, or null.
fn arena_str(bytes: &[u8]) -> *const c_char {
    let p = arena_alloc(bytes.len() + 1, 1);
    if !p.is_null() {
        // SAFETY: p has room for bytes and the NUL.
        unsafe {
            ptr::copy_nonoverlapping(bytes.as_ptr(), p, bytes.len());
            *p.add(bytes.len()) = 0;
        }
    }
    p.cast()
}

fn make_site(loc: &'static Location<'static>, expr: &'static CStr, ip: usize) -> *mut ksync_site {
    let mut func = [0 as c_char; 256];
    // SAFETY: buf and len describe `func`; a return address minus one is
    // inside the call instruction, so inside the caller's function.
    let name =
        unsafe { bindings::ksync_symbol_name(ip.wrapping_sub(1), func.as_mut_ptr(), func.len()) };
    // SAFETY: ksync_symbol_name() returns a NUL-terminated string in buf.
    let name = unsafe { CStr::from_ptr(name) }.to_bytes();
    let file = arena_str(loc.file().as_bytes());
    let func = if name.is_empty() { ptr::null() } else { arena_str(name) };
    let site = arena_alloc(core::mem::size_of::<ksync_site>(), core::mem::align_of::<ksync_site>())
        .cast::<ksync_site>();
    if site.is_null() || file.is_null() {
        return ptr::null_mut();
    }
    // SAFETY: site is fresh, aligned arena memory of the right size.
    unsafe {
        site.write(ksync_site {
            file,
            func,
            expr: expr.as_ptr(),
            line: loc.line() as core::ffi::c_int,
        })
    };
    site
}
