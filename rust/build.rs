// SPDX-License-Identifier: MIT
//! Finds (or builds) the static libksync, compiles the C shim that exports
//! ksync's inline entry points to Rust, and generates the Rust declarations
//! of the C types the crate embeds from the C compiler's own layout.
//!
//! Where libksync comes from:
//! - `KSYNC_LIB_DIR`: a directory holding `libksync.a` (after the CMake
//!   build, `build/<preset>/src`); the headers are the repository's
//!   `include/` unless `KSYNC_INCLUDE_DIR` says otherwise.
//! - otherwise the crate runs CMake on the repository itself, into its
//!   own build directory under `target/`, and builds only `ksync_static`.
//!
//! Linking is static, so programs need no `LD_LIBRARY_PATH`.  `CC` picks
//! the C compiler (default `cc`), `AR` the archiver (default `ar`).

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let repo = manifest.parent().expect("rust/ sits in the repository").to_path_buf();
    let out = PathBuf::from(env::var("OUT_DIR").unwrap());

    for var in ["KSYNC_LIB_DIR", "KSYNC_INCLUDE_DIR", "CC", "AR", "CFLAGS"] {
        println!("cargo:rerun-if-env-changed={var}");
    }
    println!("cargo:rerun-if-changed=csrc");

    let include =
        env::var_os("KSYNC_INCLUDE_DIR").map(PathBuf::from).unwrap_or_else(|| repo.join("include"));
    println!("cargo:rerun-if-changed={}", include.display());

    let lib_dir = match env::var_os("KSYNC_LIB_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => cmake_build(&repo, &out),
    };
    let lib = lib_dir.join("libksync.a");
    if !lib.is_file() {
        fail(&format!(
            "no libksync.a in {} (KSYNC_LIB_DIR must name the directory holding it, \
             e.g. build/dev/src after `cmake --preset dev && cmake --build build/dev`)",
            lib_dir.display()
        ));
    }
    println!("cargo:rerun-if-changed={}", lib.display());

    let cc = env::var("CC").unwrap_or_else(|_| "cc".into());
    generate_layout(&cc, &include, &lib, &out);

    let mut objects = Vec::new();
    for name in ["shim", "shim_fast", "bench"] {
        let src = manifest.join("csrc").join(format!("{name}.c"));
        let obj = out.join(format!("ksync_rs_{name}.o"));
        let mut cmd = Command::new(&cc);
        cmd.args(["-std=gnu11", "-O2", "-g", "-fPIC", "-Wall", "-Wextra", "-Werror"])
            .args(["-Wno-unused-parameter", "-c"])
            .arg("-I")
            .arg(&include)
            .arg(&src)
            .arg("-o")
            .arg(&obj);
        run(&mut cmd, "compiling the C shim");
        objects.push(obj);
    }
    let archive = out.join("libksync_rs_shim.a");
    let _ = fs::remove_file(&archive);
    let ar = env::var("AR").unwrap_or_else(|_| "ar".into());
    run(Command::new(ar).arg("crs").arg(&archive).args(&objects), "archiving the C shim");

    println!("cargo:rustc-link-search=native={}", out.display());
    println!("cargo:rustc-link-lib=static=ksync_rs_shim");
    println!("cargo:rustc-link-search=native={}", lib_dir.display());
    // Whole archive: libksync's constructor (reading KSYNC_* at start-up)
    // and destructors (lock_stat, the DOT graph at exit) must be linked in
    // even though nothing calls them by name.
    println!("cargo:rustc-link-lib=static:+whole-archive,-bundle=ksync");
    println!("cargo:rustc-link-lib=dylib=pthread");
    println!("cargo:rustc-link-lib=dylib=dl");
    println!("cargo:lib_dir={}", lib_dir.display());
}

/// Configures and builds the repository's static library under `out`.
fn cmake_build(repo: &Path, out: &Path) -> PathBuf {
    let build = out.join("ksync-cmake");
    for dir in ["src", "include", "CMakeLists.txt"] {
        println!("cargo:rerun-if-changed={}", repo.join(dir).display());
    }
    let mut configure = Command::new("cmake");
    configure
        .arg("-S")
        .arg(repo)
        .arg("-B")
        .arg(&build)
        .args(["-DCMAKE_BUILD_TYPE=RelWithDebInfo", "-DBUILD_TESTING=OFF"])
        .arg("-DKSYNC_BUILD_TOOLS=OFF");
    run(&mut configure, "configuring libksync with cmake (or set KSYNC_LIB_DIR)");
    let jobs = env::var("NUM_JOBS").unwrap_or_else(|_| "2".into());
    run(
        Command::new("cmake").arg("--build").arg(&build).args([
            "--target",
            "ksync_static",
            "-j",
            &jobs,
        ]),
        "building libksync with cmake (or set KSYNC_LIB_DIR)",
    );
    build.join("src")
}

/// Compiles and runs csrc/layout.c, which prints `layout.rs`.
fn generate_layout(cc: &str, include: &Path, lib: &Path, out: &Path) {
    let src = Path::new(&env::var("CARGO_MANIFEST_DIR").unwrap()).join("csrc/layout.c");
    let exe = out.join("ksync_rs_layout");
    run(
        Command::new(cc)
            .args(["-std=gnu11", "-O0", "-I"])
            .arg(include)
            .arg(&src)
            .arg(lib)
            .args(["-lpthread", "-ldl", "-o"])
            .arg(&exe),
        "compiling csrc/layout.c",
    );
    let output = Command::new(&exe)
        .env_remove("KSYNC_DEBUG")
        .env_remove("KSYNC_LOCKDEP")
        .env_remove("KSYNC_LOCK_STAT")
        .output()
        .unwrap_or_else(|e| fail(&format!("running {}: {e}", exe.display())));
    if !output.status.success() {
        fail(&format!("{} failed: {}", exe.display(), String::from_utf8_lossy(&output.stderr)));
    }
    fs::write(out.join("layout.rs"), output.stdout).unwrap();
}

fn run(cmd: &mut Command, what: &str) {
    let status = cmd
        .status()
        .unwrap_or_else(|e| fail(&format!("{what}: cannot run {:?}: {e}", cmd.get_program())));
    if !status.success() {
        fail(&format!("{what}: {cmd:?} failed ({status})"));
    }
}

fn fail(msg: &str) -> ! {
    eprintln!("ksync build.rs: {msg}");
    std::process::exit(1);
}
