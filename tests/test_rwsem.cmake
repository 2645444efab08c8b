# The same semantics through the debug paths (KSYNC_DEBUG=1).
ksync_add_test(test_rwsem ENV KSYNC_DEBUG=1)
