# Optional packages: what each one adds, and one summary at the end of
# configuring of what this build goes without and how to get it, so that
# nothing is left out silently.  A test that needs a missing package is
# still registered: it says why and exits 77, which CTest counts as
# "Skipped" and lists at the end of the run.
#
#   ksync_optional(NAME FOUND PACKAGES WHAT)
#     NAME      what was looked for ("Concurrency Kit")
#     FOUND     a true or false value
#     PACKAGES  the Debian packages that bring it ("libck-dev")
#     WHAT      what is done without it ("no ck_spinlock_* rows in ksync-bench")
function(ksync_optional name found packages what)
  if(found)
    set_property(GLOBAL APPEND PROPERTY KSYNC_OPTIONAL_FOUND "${packages}")
  else()
    set_property(GLOBAL APPEND PROPERTY KSYNC_OPTIONAL_MISSING
                 "skipped: ${name} not installed (apt-get install -y ${packages}): ${what}")
    set_property(GLOBAL APPEND PROPERTY KSYNC_OPTIONAL_PACKAGES ${packages})
  endif()
endfunction()

# Exit status of a test that skips itself (SKIP_RETURN_CODE).
set(KSYNC_SKIP_CODE 77)

function(ksync_optional_summary)
  get_property(found GLOBAL PROPERTY KSYNC_OPTIONAL_FOUND)
  get_property(missing GLOBAL PROPERTY KSYNC_OPTIONAL_MISSING)
  get_property(packages GLOBAL PROPERTY KSYNC_OPTIONAL_PACKAGES)
  if(found)
    list(REMOVE_DUPLICATES found)
    list(JOIN found ", " found)
    message(STATUS "Optional packages found: ${found}")
  endif()
  if(NOT missing)
    message(STATUS "Optional packages: nothing missing, nothing skipped")
    return()
  endif()
  foreach(line ${missing})
    message(STATUS "${line}")
  endforeach()
  list(REMOVE_DUPLICATES packages)
  list(JOIN packages " " packages)
  message(STATUS "To have all of the above: apt-get install -y ${packages}")
endfunction()

# ksync_optional_test(NAME FOUND PACKAGES WHAT COMMAND...): a test that
# needs an optional package.  It is always registered; the script checks
# for the package itself when it runs and, without it, prints
# "skipped: ... (apt-get install -y PACKAGES)" and exits 77, which CTest
# reports as Skipped.  FOUND is what configuring saw, for the summary.
function(ksync_optional_test name found packages what)
  add_test(NAME ${name} COMMAND ${ARGN})
  set_tests_properties(${name} PROPERTIES SKIP_RETURN_CODE ${KSYNC_SKIP_CODE})
  if(NOT found)
    set_property(GLOBAL APPEND PROPERTY KSYNC_OPTIONAL_MISSING
                 "skipped: ${what}: ${packages} not installed (apt-get install -y ${packages})")
    set_property(GLOBAL APPEND PROPERTY KSYNC_OPTIONAL_PACKAGES ${packages})
  else()
    set_property(GLOBAL APPEND PROPERTY KSYNC_OPTIONAL_FOUND "${packages}")
  endif()
endfunction()
