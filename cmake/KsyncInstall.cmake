# How a C programmer picks an installed ksync up:
#
#   CMake       find_package(ksync 0.2 REQUIRED)
#               target_link_libraries(app PRIVATE ksync::ksync)  # or ksync::ksync_static
#   pkg-config  cc app.c $(pkg-config --cflags --libs ksync)
#               cc -static app.c $(pkg-config --static --cflags --libs ksync)
#
# Both are relocatable: `cmake --install BUILD --prefix ANYWHERE` works, and
# so does moving the installed tree afterwards.
include(CMakePackageConfigHelpers)

set(KSYNC_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/ksync CACHE STRING
    "Where ksyncConfig.cmake goes, relative to the prefix")

# --- CMake package -------------------------------------------------------
# The targets (installed in src/CMakeLists.txt into the export set
# ksyncTargets) as ksync::ksync and ksync::ksync_static.
install(EXPORT ksyncTargets
        NAMESPACE ksync::
        FILE ksyncTargets.cmake
        DESTINATION ${KSYNC_INSTALL_CMAKEDIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/ksyncConfig.cmake.in
  ${PROJECT_BINARY_DIR}/ksyncConfig.cmake
  INSTALL_DESTINATION ${KSYNC_INSTALL_CMAKEDIR}
  NO_SET_AND_CHECK_MACRO)
# Which installed versions satisfy find_package(ksync X.Y): before 1.0 a
# minor release may change the API (semantic versioning's rule for 0.x), so
# 0.2 accepts 0.2.0, 0.2.1, ... and neither 0.1 nor 0.3; from 1.0 on, any
# later release of the same major version.  (The shared library's soname
# stays libksync.so.0 through 0.x: it changes when the ABI breaks, not with
# every minor version.)
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(KSYNC_VERSION_COMPATIBILITY SameMinorVersion)
else()
  set(KSYNC_VERSION_COMPATIBILITY SameMajorVersion)
endif()
write_basic_package_version_file(${PROJECT_BINARY_DIR}/ksyncConfigVersion.cmake
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY ${KSYNC_VERSION_COMPATIBILITY})
install(FILES ${PROJECT_BINARY_DIR}/ksyncConfig.cmake
              ${PROJECT_BINARY_DIR}/ksyncConfigVersion.cmake
        DESTINATION ${KSYNC_INSTALL_CMAKEDIR})

# --- pkg-config ----------------------------------------------------------
# Relocatable by default: every path is found from the .pc file's own
# directory.  A distribution package, installed at a fixed place, writes
# the plain absolute paths instead (debian/rules), which pkg-config then
# recognises as the system's own and leaves out of the flags.
option(KSYNC_PC_RELOCATABLE "ksync.pc finds the prefix from its own directory" ON)
if(KSYNC_PC_RELOCATABLE)
  file(RELATIVE_PATH prefix_from_pcdir
       "${CMAKE_INSTALL_FULL_LIBDIR}/pkgconfig" "${CMAKE_INSTALL_PREFIX}")
  string(REGEX REPLACE "/$" "" prefix_from_pcdir "${prefix_from_pcdir}")
  set(KSYNC_PC_PREFIX "\${pcfiledir}/${prefix_from_pcdir}")
else()
  set(KSYNC_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
endif()
# Programs built with `pkg-config --libs ksync` find the library without
# LD_LIBRARY_PATH: an RPATH to it, unless it is in a directory the linker
# and the loader search anyway (/usr/lib/x86_64-linux-gnu, ...).
set(KSYNC_PC_RPATH " -Wl,-rpath,\${libdir}")
if(CMAKE_INSTALL_FULL_LIBDIR IN_LIST CMAKE_C_IMPLICIT_LINK_DIRECTORIES)
  set(KSYNC_PC_RPATH "")
endif()
# A TSan build tells its users' compiles that TSan sees the library (see
# <ksync/tsan.h>).
set(KSYNC_PC_CFLAGS "")
if(KSYNC_SANITIZE STREQUAL "thread")
  set(KSYNC_PC_CFLAGS " -DKSYNC_NO_TSAN_ANNOTATIONS")
endif()
# What libksync.a needs besides libc (--static): the same as the CMake
# targets' Threads::Threads and CMAKE_DL_LIBS.  libdw is not one: it is
# dlopen()ed at run time, when a report first needs a backtrace.
set(KSYNC_PC_LIBS_PRIVATE "-lpthread")
foreach(lib ${CMAKE_DL_LIBS})
  string(APPEND KSYNC_PC_LIBS_PRIVATE " -l${lib}")
endforeach()
# <ksync/rcupdate.h>'s inline read side refers to liburcu-memb's symbols
# from the user's code: shared users link it too.
set(KSYNC_PC_LIBS_RCU "")
if(KSYNC_HAVE_RCU)
  string(APPEND KSYNC_PC_LIBS_PRIVATE " -lurcu-common")
  set(KSYNC_PC_LIBS_RCU " -lurcu-memb")
endif()
configure_file(${PROJECT_SOURCE_DIR}/ksync.pc.in ${PROJECT_BINARY_DIR}/ksync.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/ksync.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# --- headers and documentation ------------------------------------------
# Without liburcu there is no RCU in the library: no header for it either.
if(KSYNC_HAVE_RCU)
  install(DIRECTORY include/ksync DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
else()
  install(DIRECTORY include/ksync DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
          PATTERN rcupdate.h EXCLUDE PATTERN urcu_abi.h EXCLUDE)
endif()
install(FILES README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR})
