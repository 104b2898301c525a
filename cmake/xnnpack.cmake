# Builds XNNPACK, pthreadpool (single-threaded shim) and FXdiv for WebAssembly SIMD from the
# pinned Debian source tarballs that tools/setup.sh unpacks under build/deps/src.
#
# XNNPACK's own CMakeLists.txt in this snapshot has no Emscripten target, so this file compiles
# its production microkernel lists (scalar, wasm, wasmsimd) and the operator, config and helper
# sources directly. The linker drops every operator and microkernel that the core never reaches.

set(XNNPACK_SOURCE_DIR "" CACHE PATH "Unpacked XNNPACK source tree")
set(PTHREADPOOL_SOURCE_DIR "" CACHE PATH "Unpacked pthreadpool source tree")
set(FXDIV_SOURCE_DIR "" CACHE PATH "Unpacked FXdiv source tree")

foreach(dep XNNPACK PTHREADPOOL FXDIV)
  if(NOT EXISTS "${${dep}_SOURCE_DIR}/include")
    message(FATAL_ERROR
      "${dep}_SOURCE_DIR='${${dep}_SOURCE_DIR}' has no include/ folder. "
      "Run 'bash tools/setup.sh' first: it downloads and unpacks the pinned source tarballs.")
  endif()
endforeach()

include("${XNNPACK_SOURCE_DIR}/cmake/gen/scalar_microkernels.cmake")
include("${XNNPACK_SOURCE_DIR}/cmake/gen/wasm_microkernels.cmake")
include("${XNNPACK_SOURCE_DIR}/cmake/gen/wasmsimd_microkernels.cmake")

set(xnn_microkernel_sources
  ${PROD_SCALAR_MICROKERNEL_SRCS}
  ${PROD_WASM_MICROKERNEL_SRCS}
  ${PROD_WASMSIMD_MICROKERNEL_SRCS})
# The generated f32 -> qs8/qu8 conversion kernels for wasmsimd include <arm_neon.h> where
# <wasm_simd128.h> is meant (a template slip in this snapshot). The unary-elementwise config
# references the two production ones, so they are compiled with a private arm_neon.h that
# includes wasm_simd128.h. adapterkit never calls them.
set(xnn_neon_shim_dir "${CMAKE_CURRENT_BINARY_DIR}/xnnpack_wasm_shim")
file(WRITE "${xnn_neon_shim_dir}/arm_neon.h" "#include <wasm_simd128.h>\n")
set(xnn_vcvt_sources ${xnn_microkernel_sources})
list(FILTER xnn_vcvt_sources INCLUDE REGEX "f32-q[su]8-vcvt")

set(xnn_core_sources
  src/allocator.c
  src/cache.c
  src/datatype.c
  src/indirection.c
  src/init.c
  src/memory.c
  src/microkernel-utils.c
  src/microparams-init.c
  src/mutex.c
  src/normalization.c
  src/operator-delete.c
  src/operator-run.c
  src/operator-utils.c
  src/params.c
  src/reference/packing.cc
  src/reference/unary-elementwise.cc
  src/reference/binary-elementwise.cc
  src/enums/allocation-type.c
  src/enums/datatype-strings.c
  src/enums/microkernel-type.c
  src/enums/node-type.c
  src/enums/operator-type.c
  src/log.c
  src/tables/exp2-k-over-64.c
  src/tables/exp2-k-over-2048.c
  src/tables/exp2minus-k-over-4.c
  src/tables/exp2minus-k-over-8.c
  src/tables/exp2minus-k-over-16.c
  src/tables/exp2minus-k-over-32.c
  src/tables/exp2minus-k-over-64.c
  src/tables/exp2minus-k-over-2048.c
  src/tables/vlog.c)

# Only the operators the encoder and its backward pass use: fully connected, batched matrix
# multiply, elementwise, softmax and transpose. Their configs come along.
list(APPEND xnn_core_sources
  src/operators/batch-matrix-multiply-nc.c
  src/operators/binary-elementwise-nd.c
  src/operators/dynamic-fully-connected-nc.c
  src/operators/fully-connected-nc.c
  src/operators/pack-lh.c
  src/operators/softmax-nc.c
  src/operators/transpose-nd.c
  src/operators/unary-elementwise-nc.c
  src/configs/argmaxpool-config.c
  src/configs/avgpool-config.c
  src/configs/binary-elementwise-config.c
  src/configs/cmul-config.c
  src/configs/conv-hwc2chw-config.c
  src/configs/dwconv-config.c
  src/configs/dwconv2d-chw-config.c
  src/configs/experiments-config.c
  src/configs/gemm-config.c
  src/configs/hardware-config.c
  src/configs/ibilinear-chw-config.c
  src/configs/ibilinear-config.c
  src/configs/lut32norm-config.c
  src/configs/maxpool-config.c
  src/configs/pavgpool-config.c
  src/configs/pack-lh-config.c
  src/configs/raddstoreexpminusmax-config.c
  src/configs/reduce-config.c
  src/configs/rmax-config.c
  src/configs/spmm-config.c
  src/configs/transpose-config.c
  src/configs/unary-elementwise-config.c
  src/configs/unpool-config.c
  src/configs/vmulcaddc-config.c
  src/configs/xx-fill-config.c
  src/configs/xx-pad-config.c
  src/configs/x8-lut-config.c
  src/configs/zip-config.c)

list(TRANSFORM xnn_microkernel_sources PREPEND "${XNNPACK_SOURCE_DIR}/")
list(TRANSFORM xnn_core_sources PREPEND "${XNNPACK_SOURCE_DIR}/")

# XNNPACK embeds a hash of its microkernel list. A fixed identifier is enough for a static build
# whose weights caches are never shared between builds.
set(xnn_build_identifier "${CMAKE_CURRENT_BINARY_DIR}/xnnpack_build_identifier.c")
file(WRITE "${xnn_build_identifier}.in" [=[
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

static const uint8_t identifier[32] = "adapterkit-xnnpack-4ea82e5-wasm";

const void* xnn_experimental_get_build_identifier_data() { return identifier; }
size_t xnn_experimental_get_build_identifier_size() { return sizeof(identifier); }
bool xnn_experimental_check_build_identifier(const void* data, const size_t size) {
  return size == sizeof(identifier) && memcmp(data, identifier, size) == 0;
}
]=])
configure_file("${xnn_build_identifier}.in" "${xnn_build_identifier}" COPYONLY)

add_library(xnnpack STATIC
  ${xnn_microkernel_sources}
  ${xnn_core_sources}
  "${xnn_build_identifier}"
  "${PTHREADPOOL_SOURCE_DIR}/src/shim.c")
target_include_directories(xnnpack
  PUBLIC "${XNNPACK_SOURCE_DIR}/include" "${PTHREADPOOL_SOURCE_DIR}/include"
  PRIVATE "${XNNPACK_SOURCE_DIR}/src" "${FXDIV_SOURCE_DIR}/include")
target_compile_definitions(xnnpack PRIVATE
  XNN_LOG_LEVEL=0
  XNN_ENABLE_SPARSE=1
  XNN_ENABLE_GEMM_M_SPECIALIZATION=1
  XNN_ENABLE_MEMOPT=1
  XNN_ENABLE_CPUINFO=0
  XNN_ENABLE_ASSEMBLY=0
  XNN_ENABLE_DWCONV_MULTIPASS=0
  XNN_ENABLE_KLEIDIAI=0
  PTHREADPOOL_NO_DEPRECATED_API=1)
set_target_properties(xnnpack PROPERTIES C_STANDARD 99 C_EXTENSIONS NO CXX_STANDARD 17)
target_compile_options(xnnpack PRIVATE -O2 -msimd128 -w)
list(TRANSFORM xnn_vcvt_sources PREPEND "${XNNPACK_SOURCE_DIR}/")
set_source_files_properties(${xnn_vcvt_sources} PROPERTIES INCLUDE_DIRECTORIES "${xnn_neon_shim_dir}")
