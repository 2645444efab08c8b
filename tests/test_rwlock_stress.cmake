# Also without membarrier(2) (wait_lock sleepers poll) and through the
# debug paths.
ksync_add_test(test_rwlock_stress ENV KSYNC_NO_MEMBARRIER=1)
ksync_add_test(test_rwlock_stress ENV KSYNC_DEBUG=1)
# ksync-torture's rwlock types: writers and readers, more threads than cores.
if(KSYNC_BUILD_TOOLS)
  foreach(type rw_lock rw_lock_irq)
    add_test(NAME torture_${type}
      COMMAND ksync-torture --type ${type} --nwriters 4 --nreaders 12
              --duration 2 --stutter 1 --long-hold 10)
    set_tests_properties(torture_${type} PROPERTIES TIMEOUT 120
      PASS_REGULAR_EXPRESSION "End of test: SUCCESS")
  endforeach()
endif()
