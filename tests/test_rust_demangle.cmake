# The demangler is internal to libksync: compile it into the test.
target_sources(test_rust_demangle PRIVATE ${PROJECT_SOURCE_DIR}/src/base/rust_demangle.c)
