// SPDX-License-Identifier: MIT
/*
 * Rust symbol names in reports' stack traces: legacy (_ZN...17h<hash>E)
 * and v0 (_R...) manglings decoded as rustc-demangle's short form; C++ and
 * malformed names left alone (NULL), never a crash.  Compiled with
 * src/rust_demangle.c (see test_rust_demangle.cmake).
 */
#include <stdlib.h>
#include <string.h>

#include "ktest.h"
#include "../src/base/rust_demangle.h"

static void expect(const char *mangled, const char *want)
{
	char *got = ksync_rust_demangle(mangled);

	if (!want) {
		if (got)
			KTEST_FAIL("%s: expected no demangling, got %s", mangled, got);
		return;
	}
	if (!got || strcmp(got, want) != 0)
		KTEST_FAIL("%s:\n  want %s\n  got  %s", mangled, want, got ? got : "(null)");
	free(got);
}

static void test_legacy(void)
{
	expect("_ZN5seeds7example17h0123456789abcdefE", "seeds::example");
	expect("_ZN4core3ptr46drop_in_place$LT$alloc..vec..Vec$LT$u8$GT$$GT$17h0123456789abcdefE",
	       "core::ptr::drop_in_place<alloc::vec::Vec<u8>>");
	expect("_ZN14lockdep_report10child_abba28_$u7b$$u7b$closure$u7d$$u7d$17h38f44589e1c2b849E",
	       "lockdep_report::child_abba::{{closure}}");
	expect("_ZN79_$LT$ksync..sync..lock..Guard$LT$T$C$B$GT$$u20$as$u20$core..ops..drop..Drop$GT$4drop17h0123456789abcdefE",
	       "<ksync::sync::lock::Guard<T,B> as core::ops::drop::Drop>::drop");
	expect("_ZN5seeds7example17h0123456789abcdefE.llvm.123", "seeds::example");
}

static void test_v0(void)
{
	expect("_RNvNtCs1234_7mycrate3foo3bar", "mycrate::foo::bar");
	expect("_RNvMNtNtNtNtCsjrHSEGnQ3l9_3std3sys4sync5mutex5futexNtB2_5Mutex14lock_contended",
	       "<std::sys::sync::mutex::futex::Mutex>::lock_contended");
	expect("_RNvNtNtCsjrHSEGnQ3l9_3std6thread11main_thread4MAIN", "std::thread::main_thread::MAIN");
	expect("_RINvNtCs1234_3std2rt10lang_startuEB4_", "std::rt::lang_start::<()>");
	expect("_RNCNvCs3mSbOeLENLV_4test8run_test0B3_", "test::run_test::{closure#0}");
	expect("_RNvXs_NtNtCs1234_4core3fmt3numlNtNtCs1234_4core3fmt7Display3fmt",
	       "<i32 as core::fmt::Display>::fmt");
	expect("_RINvCs1234_3foo3barRShE", "foo::bar::<&[u8]>");
	expect("_RINvCs1234_3foo3barTRShQaEE", "foo::bar::<(&[u8], &mut i8)>");
	expect("_RINvCs1234_3foo3barThEE", "foo::bar::<(u8,)>");
	expect("_RINvCs1234_3foo3barAhj4_E", "foo::bar::<[u8; 4]>");
	expect("_RINvCs1234_3foo3barFKCmEuE", "foo::bar::<extern \"C\" fn(u32)>");
	expect("_RINvCs1234_3foo3barDNtCs1234_4core4SendEL_E", "foo::bar::<dyn core::Send>");
	expect("_RINvCs1234_3foo3barINtB2_3VecmEE", "foo::bar::<foo::Vec<u32>>");
	expect("_RNvCs1234_3foo3bar.llvm.42", "foo::bar");
}

static void test_not_rust(void)
{
	expect("_ZN3foo3barEv", NULL);		/* C++ foo::bar() */
	expect("_ZN3foo3barE", NULL);		/* no hash: not Rust's */
	expect("_ZN3foo17h0123456789abcdeE", NULL);	/* hash too short */
	expect("_R", NULL);
	expect("_RNvB0_3foo", NULL);		/* a backref to itself */
	expect("_RNvCs1234_3foo99bar", NULL);	/* identifier past the end */
	expect("_RC3foo!", NULL);		/* junk after the path */
	expect("main", NULL);
}

static void test_deep_nesting_gives_up(void)
{
	static const char head[] = "_RINvCs1234_3foo3bar";
	size_t n = 5000;
	char *s = malloc(sizeof(head) + n + 3);

	CHECK(s);
	strcpy(s, head);
	memset(s + strlen(head), 'R', n);
	strcpy(s + strlen(head) + n, "uE");
	expect(s, NULL);
	free(s);
}

int main(void)
{
	RUN(test_legacy);
	RUN(test_v0);
	RUN(test_not_rust);
	RUN(test_deep_nesting_gives_up);
	return 0;
}
