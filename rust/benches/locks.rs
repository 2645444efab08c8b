// SPDX-License-Identifier: MIT
//! The Rust lock API's cost, beside C's and std's: `cargo bench --offline`
//! in rust/ (a plain program, no benchmark crates).  Timing is only
//! reported here, never judged by a test.
//!
//! - uncontended: ns per lock+unlock pair, one thread, counter++ inside;
//! - contended: M acquisitions/s of ksync's `Mutex<u64>` and
//!   `std::sync::Mutex<u64>` with T threads hammering one lock.
//!
//! Medians of REPEATS rounds (the target ratios: medians of the rounds'
//! ratios).  Environment: KSYNC_BENCH_MS (duration of a
//! contended run, default 200), KSYNC_BENCH_REPEATS (default 5).

use std::ffi::c_ulong;
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

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

#[repr(C)]
struct Timespec {
    tv_sec: i64,
    tv_nsec: i64,
}

extern "C" {
    fn clock_gettime(clock: i32, ts: *mut Timespec) -> i32;
}

/// This thread's CPU time in ns: a thread that is preempted (on a busy
/// machine) is not charged for the time it did not run.
fn thread_cpu_ns() -> u64 {
    const CLOCK_THREAD_CPUTIME_ID: i32 = 3;
    let mut ts = Timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: ts is valid for writes.
    assert_eq!(unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut ts) }, 0);
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// A loop to time: `body(n)` runs n lock+unlock pairs.
type Body<'a> = Box<dyn FnMut(u64) + 'a>;

/// n such that `body(n)` takes about 50 ms of CPU time.
fn calibrate(body: &mut Body) -> u64 {
    let mut n = 1u64 << 16;
    loop {
        let t = thread_cpu_ns();
        body(n);
        if thread_cpu_ns() - t >= 20_000_000 {
            return n * 5 / 2;
        }
        n *= 2;
    }
}

/// CPU ns per pair of each row in each of `repeats` rounds, each round
/// timing every row once, so that a change in the machine's load falls on
/// all rows alike: `[row][round]`.
fn ns_per_op(repeats: usize, rows: &mut [(&str, Body)]) -> Vec<Vec<f64>> {
    let n: Vec<u64> = rows.iter_mut().map(|(_, body)| calibrate(body)).collect();
    let mut samples = vec![Vec::new(); rows.len()];
    for _ in 0..repeats {
        for (i, (_, body)) in rows.iter_mut().enumerate() {
            let t = thread_cpu_ns();
            body(n[i]);
            samples[i].push((thread_cpu_ns() - t) as f64 / n[i] as f64);
        }
    }
    samples
}

/// The median over the rounds of row `a`'s time over row `b`'s in the
/// same round: two rows timed back to back meet the same load, which the
/// ratio of two medians taken rounds apart need not.
fn paired_ratio(samples: &[Vec<f64>], a: usize, b: usize) -> f64 {
    median(samples[a].iter().zip(&samples[b]).map(|(x, y)| x / y).collect())
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
    let debug = ksync::bindings::ksync_debug_active();

    println!("ksync Rust bench: ksync crate {} over libksync (static)", env!("CARGO_PKG_VERSION"));
    println!("machine:     {cpus} CPUs, {}", cpu_model());
    println!(
        "ksync debug: {}",
        if debug {
            "ON (KSYNC_DEBUG/LOCKDEP/LOCK_STAT): these are not fast-path figures"
        } else {
            "off (the fast paths are measured)"
        }
    );
    println!("parameters:  medians of {repeats} runs; uncontended: ~50 ms of thread CPU time each; contended: {} ms of wall time each\n", dur.as_millis());

    let spin = Box::pin_init(new_spinlock!(0 as c_ulong, "bench-spin")).unwrap();
    let irq_lock = Box::pin_init(new_spinlock_irq!(0u64, "bench-spin-irq")).unwrap();
    let mutex = Box::pin_init(new_mutex!(0u64, "bench-mutex")).unwrap();
    let std_mutex = std::sync::Mutex::new(0u64);

    let mut rows: Vec<(&str, Body)> = vec![
        (
            "C spin_lock()+spin_unlock() (inlined C)",
            Box::new(|n| ksync::__bench::c_spin_loop(&spin, n)),
        ),
        ("SpinLock::lock() + drop", Box::new(|n| rust_spin_loop(&spin, n))),
        ("SpinLockIrq::lock() + drop, interrupts on", Box::new(|n| irq_lock_loop(&irq_lock, n))),
        (
            "SpinLockIrq::lock() + drop, interrupts already off",
            Box::new(|n| {
                let irq = local_interrupt_disable();
                irq_lock_loop(&irq_lock, n);
                drop(irq);
            }),
        ),
        (
            "SpinLockIrq::lock_with(&token) + drop",
            Box::new(|n| {
                let irq = local_interrupt_disable();
                irq_lock_with_loop(&irq_lock, &irq, n);
                drop(irq);
            }),
        ),
        (
            "Mutex::lock() + drop",
            Box::new(|n| {
                for _ in 0..n {
                    *black_box(&*mutex).lock() += 1;
                }
            }),
        ),
        (
            "std::sync::Mutex::lock() + drop",
            Box::new(|n| {
                for _ in 0..n {
                    *black_box(&std_mutex).lock().unwrap() += 1;
                }
            }),
        ),
    ];
    let samples = ns_per_op(repeats, &mut rows);
    let ns: Vec<f64> = samples.iter().cloned().map(median).collect();
    println!("== uncontended: one thread, CPU ns per lock+unlock pair (counter++ inside) ==\n");
    println!("{:<52}{:>8}", "lock", "ns/pair");
    for ((name, _), ns) in rows.iter().zip(&ns) {
        println!("{name:<52}{ns:>8.2}");
    }
    drop(rows);
    let (rs_mutex, std_mutex_ns) = (ns[5], ns[6]);

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

    println!("\nratios, from this run (medians of the rounds' ratios for the targets):");
    let r = paired_ratio(&samples, 1, 0);
    println!(
        "  SpinLock::lock() / C spin_lock():                      {r:.2}x (target <= 1.3x) {}",
        verdict(r <= 1.3)
    );
    let r = paired_ratio(&samples, 4, 3);
    println!(
        "  lock_with() / lock() with interrupts off:              {r:.2}x (target <= 1.0x) {}",
        verdict(r <= 1.0)
    );
    println!(
        "  Mutex uncontended / std::sync::Mutex:                  {:.2}x",
        rs_mutex / std_mutex_ns
    );
    for (i, t) in counts.iter().enumerate() {
        println!(
            "  Mutex T={t:<2} throughput / std::sync::Mutex:           {:.2}x",
            rows[0][i] / rows[1][i]
        );
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

#[inline(never)]
fn irq_lock_with_loop(
    lock: &SpinLockIrq<u64>,
    irq: &ksync::interrupt::LocalInterruptDisabled,
    n: u64,
) {
    for _ in 0..n {
        *lock.lock_with(irq) += 1;
    }
}
