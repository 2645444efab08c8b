# smp_mb() is a stand-alone fence, which ThreadSanitizer does not model
# (the test does not rely on it for correctness); keep gcc quiet about it.
if(KSYNC_SANITIZE STREQUAL "thread")
  target_compile_options(test_atomic PRIVATE -Wno-tsan)
endif()
