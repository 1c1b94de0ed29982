# The runtime and lbc-run cross-built for aarch64 (a runtime-only build of
# this same tree, see LBC_RUNTIME_ONLY), which run --cpu=aarch64 artifacts
# under qemu-aarch64 in the tests. Built when Debian's cross compiler
# (g++-aarch64-linux-gnu, installed by scripts/install-deps.sh) is present.
find_program(LBC_AARCH64_CXX aarch64-linux-gnu-g++)
set(LBC_AARCH64_BIN_DIR "")
if(LBC_AARCH64_CXX)
  include(ExternalProject)
  set(LBC_AARCH64_BUILD_DIR ${PROJECT_BINARY_DIR}/aarch64)
  ExternalProject_Add(lbc-aarch64-runtime
    SOURCE_DIR ${PROJECT_SOURCE_DIR}
    BINARY_DIR ${LBC_AARCH64_BUILD_DIR}
    CMAKE_ARGS -DLBC_RUNTIME_ONLY=ON -DCMAKE_BUILD_TYPE=Release
               -DCMAKE_TOOLCHAIN_FILE=${PROJECT_SOURCE_DIR}/cmake/aarch64-linux-gnu.cmake
    BUILD_ALWAYS ON
    INSTALL_COMMAND ""
    BUILD_BYPRODUCTS ${LBC_AARCH64_BUILD_DIR}/bin/lbc-run)
  set(LBC_AARCH64_BIN_DIR ${LBC_AARCH64_BUILD_DIR}/bin)
else()
  message(STATUS "aarch64-linux-gnu-g++ not found: the aarch64 runtime and "
                 "its qemu tests are skipped")
endif()
