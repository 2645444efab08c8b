# Through the debug paths too (checks, held-lock tracking, lockdep hooks).
ksync_add_test(test_rwsem_stress ENV KSYNC_DEBUG=1)
# ksync-torture's rw_semaphore types: writers and readers, and downgrade.
if(KSYNC_BUILD_TOOLS)
  add_test(NAME test_rwsem_torture
    COMMAND ksync-torture --type rwsem_lock --nwriters 4 --nreaders 8
            --duration 3 --stutter 1 --long-hold 10)
  add_test(NAME test_rwsem_torture_downgrade
    COMMAND ksync-torture --type rwsem_downgrade --nwriters 4 --nreaders 8
            --duration 3 --long-hold 10)
  set_tests_properties(test_rwsem_torture test_rwsem_torture_downgrade PROPERTIES
    TIMEOUT 120 PASS_REGULAR_EXPRESSION "End of test: SUCCESS")
endif()
