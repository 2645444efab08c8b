// SPDX-License-Identifier: MIT
/*
 * The seqlock stress test again, with the read-don't-modify-write
 * protocol that ThreadSanitizer builds use (readers re-read the count
 * with a release RMW, writers increment it with RMWs), so that protocol
 * is exercised in every build, not only under ThreadSanitizer.
 */
#define KSYNC_SEQCOUNT_RMW 1
#include "test_seqlock_stress.c"
