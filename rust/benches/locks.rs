// SPDX-License-Identifier: MIT
//! The Rust lock API's cost, beside C's and std's: `cargo bench --offline`
//! in rust/ (a plain program, no benchmark crates).  Timing is only
//! reported here, never judged by a test.
//!
//! - uncontended: ns per lock+unlock pair, one thread, counter++ inside;
//! - contended: M acquisitions/s of ksync's `Mutex<u64>` and
//!   `std::sync::Mutex<u64>` with T threads hammering one lock.
//!
//! Medians of REPEATS runs.  Environment: KSYNC_BENCH_MS (duration of a
//! contended run, default 200), KSYNC_BENCH_REPEATS (default 5).

use std::ffi::c_ulong;
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use ksync::interrupt::local_interrupt_disable;
use ksync::prelude::*;
use ksync::sync::{SpinLock, SpinLockIrq};

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn cpu_model() -> String {
    let info = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    info.lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .map(|m| m.trim().to_string())
        .unwrap_or_else(|| "unknown CPU".into())
}

/// ns per iteration of `body(n)`, which runs n iterations: the median of
/// `repeats` runs of about 50 ms, after a calibration run.
fn ns_per_op(repeats: usize, mut body: impl FnMut(u64)) -> f64 {
    let mut n = 1u64 << 16;
    loop {
        let t = Instant::now();
        body(n);
        if t.elapsed() >= Duration::from_millis(20) {
            break;
        }
        n *= 2;
    }
    let n = n * 5 / 2;
    median(
        (0..repeats)
            .map(|_| {
                let t = Instant::now();
                body(n);
                t.elapsed().as_nanos() as f64 / n as f64
            })
            .collect(),
    )
}

/// M acquisitions/s of `op` with `threads` threads for `dur`.
fn throughput(threads: usize, dur: Duration, op: &(impl Fn() + Sync)) -> f64 {
    let stop = AtomicBool::new(false);
    let total = AtomicU64::new(0);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                let mut n = 0u64;
                // Relaxed: a stop flag; the count is summed after the join.
                while !stop.load(Ordering::Relaxed) {
                    op();
                    n += 1;
                }
                total.fetch_add(n, Ordering::Relaxed);
            });
        }
        std::thread::sleep(dur);
        stop.store(true, Ordering::Relaxed);
    });
    total.load(Ordering::Relaxed) as f64 / dur.as_secs_f64() / 1e6
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "met"
    } else {
        "NOT met"
    }
}

fn main() {
    // `cargo bench` passes --bench; a filter argument is accepted and ignored.
    let repeats = env_or("KSYNC_BENCH_REPEATS", 5) as usize;
    let dur = Duration::from_millis(env_or("KSYNC_BENCH_MS", 200));
    let cpus = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let debug = std::env::vars().any(|(k, v)| k.starts_with("KSYNC_") && k != "KSYNC_BENCH_MS" && k != "KSYNC_BENCH_REPEATS" && v != "0");

    println!("ksync Rust bench: ksync crate {} over libksync (static)", env!("CARGO_PKG_VERSION"));
    println!("machine:     {cpus} CPUs, {}", cpu_model());
    println!("ksync debug: {}", if debug { "ON (KSYNC_* set): these are not fast-path figures" } else { "off (the fast paths are measured)" });
    println!("parameters:  medians of {repeats} runs; uncontended runs ~50 ms, contended runs {} ms\n", dur.as_millis());

    let spin = Box::pin_init(new_spinlock!(0 as c_ulong, "bench-spin")).unwrap();
    let irq_lock = Box::pin_init(new_spinlock_irq!(0u64, "bench-spin-irq")).unwrap();
    let mutex = Box::pin_init(new_mutex!(0u64, "bench-mutex")).unwrap();
    let std_mutex = std::sync::Mutex::new(0u64);

    let c_spin = ns_per_op(repeats, |n| ksync::__bench::c_spin_loop(&spin, n));
    let rs_spin = ns_per_op(repeats, |n| rust_spin_loop(&spin, n));
    let irq_on = ns_per_op(repeats, |n| irq_lock_loop(&irq_lock, n));
    let (irq_off, with_off) = {
        let irq = local_interrupt_disable();
        let off = ns_per_op(repeats, |n| irq_lock_loop(&irq_lock, n));
        let with = ns_per_op(repeats, |n| {
            for _ in 0..n {
                *irq_lock.lock_with(&irq) += 1;
            }
        });
        drop(irq);
        (off, with)
    };
    let rs_mutex = ns_per_op(repeats, |n| {
        for _ in 0..n {
            *black_box(&*mutex).lock() += 1;
        }
    });
    let std_mutex_ns = ns_per_op(repeats, |n| {
        for _ in 0..n {
            *black_box(&std_mutex).lock().unwrap() += 1;
        }
    });

    println!("== uncontended: one thread, ns per lock+unlock pair (counter++ inside) ==\n");
    println!("{:<52}{:>8}", "lock", "ns/pair");
    for (name, ns) in [
        ("C spin_lock()+spin_unlock() (inlined C)", c_spin),
        ("SpinLock::lock() + drop", rs_spin),
        ("SpinLockIrq::lock() + drop, interrupts on", irq_on),
        ("SpinLockIrq::lock() + drop, interrupts already off", irq_off),
        ("SpinLockIrq::lock_with(&token) + drop", with_off),
        ("Mutex::lock() + drop", rs_mutex),
        ("std::sync::Mutex::lock() + drop", std_mutex_ns),
    ] {
        println!("{name:<52}{ns:>8.2}");
    }

    println!("\n== contended: Mutex<u64> against std::sync::Mutex<u64>, M acquisitions/s ==\n");
    let counts = [1usize, 2, 8, 32];
    print!("{:<28}", "lock");
    for t in counts {
        print!("{:>9}", format!("T={t}"));
    }
    println!();
    let mut rows = Vec::new();
    for (name, is_std) in [("ksync::sync::Mutex<u64>", false), ("std::sync::Mutex<u64>", true)] {
        print!("{name:<28}");
        let mut row = Vec::new();
        for t in counts {
            let m = median(
                (0..repeats)
                    .map(|_| {
                        if is_std {
                            throughput(t, dur, &|| *std_mutex.lock().unwrap() += 1)
                        } else {
                            throughput(t, dur, &|| *mutex.lock() += 1)
                        }
                    })
                    .collect(),
            );
            print!("{m:>9.2}");
            row.push(m);
        }
        println!();
        rows.push(row);
    }

    println!("\nratios, from this run:");
    let r = rs_spin / c_spin;
    println!("  SpinLock::lock() / C spin_lock():                      {r:.2}x (target <= 1.3x) {}", verdict(r <= 1.3));
    let r = with_off / irq_off;
    println!("  lock_with() / lock() with interrupts off:              {r:.2}x (target <= 1.0x) {}", verdict(r <= 1.0));
    println!("  Mutex uncontended / std::sync::Mutex:                  {:.2}x", rs_mutex / std_mutex_ns);
    for (i, t) in counts.iter().enumerate() {
        println!("  Mutex T={t:<2} throughput / std::sync::Mutex:           {:.2}x", rows[0][i] / rows[1][i]);
    }
}

#[inline(never)]
fn rust_spin_loop(lock: &SpinLock<c_ulong>, n: u64) {
    for _ in 0..n {
        *lock.lock() += 1;
    }
}

#[inline(never)]
fn irq_lock_loop(lock: &SpinLockIrq<u64>, n: u64) {
    for _ in 0..n {
        *lock.lock() += 1;
    }
}

