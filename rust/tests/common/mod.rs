// SPDX-License-Identifier: MIT
//! Shared by the integration tests: running this test binary again as a
//! child with ksync's debug switches on (they are read at start-up), and
//! reading its report.

#![allow(dead_code)]

use std::process::{Command, Output};

/// Whether this process is such a child.
pub fn is_child() -> bool {
    std::env::var_os("KSYNC_RS_CHILD").is_some()
}

/// Runs this test binary with `args` (test names, --exact, --skip) and
/// `env`, and returns what it did.
pub fn rerun_self(args: &[&str], env: &[(&str, &str)]) -> Output {
    let exe = std::env::current_exe().expect("the test binary");
    let mut cmd = Command::new(exe);
    cmd.args(args).args(["--nocapture", "--test-threads=4"]).env("KSYNC_RS_CHILD", "1");
    for var in ["KSYNC_DEBUG", "KSYNC_LOCKDEP", "KSYNC_LOCK_STAT", "KSYNC_KEEP_GOING", "KSYNC_LOG"]
    {
        cmd.env_remove(var);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("running the test binary again")
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The child passed its tests and ksync reported nothing.
pub fn assert_quiet(out: &Output) {
    let err = stderr(out);
    assert!(
        out.status.success(),
        "child failed ({}):\n{}\n{err}",
        out.status,
        String::from_utf8_lossy(&out.stdout)
    );
    for word in ["WARNING:", "BUG:", "DEBUG_LOCKS_WARN_ON", "lockdep"] {
        assert!(!err.contains(word), "ksync reported something ({word}):\n{err}");
    }
}
