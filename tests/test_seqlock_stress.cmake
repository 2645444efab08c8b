# Through the debug paths too (lockdep hooks, the write-section checks).
ksync_add_test(test_seqlock_stress ENV KSYNC_DEBUG=1)
# ksync-torture's seqlock type: lockless readers must never accept a torn
# pair while writers hold write_seqlock().
if(KSYNC_BUILD_TOOLS)
  add_test(NAME torture_seqlock
    COMMAND ksync-torture --type seqlock --nwriters 4 --nreaders 12
            --duration 2 --stutter 1 --long-hold 10)
  set_tests_properties(torture_seqlock PROPERTIES TIMEOUT 120
    PASS_REGULAR_EXPRESSION "End of test: SUCCESS")
endif()
