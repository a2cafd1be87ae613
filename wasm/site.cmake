# wasm/site.cmake — included by the top-level CMakeLists.txt when Emscripten is found.
#
# Target `site` (part of `all`):
#   1. the WebAssembly build: `emcmake cmake -S wasm -B <build>/wasm && cmake --build <build>/wasm`
#      -> serce-simd.js/.wasm and serce-plain.js/.wasm (and the kernel tests for node)
#   2. the static site in <build>/site: www/ + the wasm outputs + www/models, with sw.js stamped with a
#      content hash so a new build replaces the old offline cache (wasm/assemble-site.mjs).
# Inputs: SERCE_EMCMAKE, SERCE_NODE (found by the caller).

set(SERCE_WASM_DIR ${CMAKE_BINARY_DIR}/wasm)
set(SERCE_SITE_DIR ${CMAKE_BINARY_DIR}/site)

# Debian's Emscripten runs its JS optimizer with node and needs Debian's acorn on NODE_PATH.
set(SERCE_EM_NODE_PATH "$ENV{NODE_PATH}")
if(NOT SERCE_EM_NODE_PATH AND EXISTS /usr/share/nodejs)
  set(SERCE_EM_NODE_PATH /usr/share/nodejs)
endif()
set(SERCE_EM_ENV ${CMAKE_COMMAND} -E env --unset=MAKEFLAGS --unset=MFLAGS "NODE_PATH=${SERCE_EM_NODE_PATH}")

file(GLOB SERCE_WASM_DEPS CONFIGURE_DEPENDS
  ${CMAKE_SOURCE_DIR}/core/*.c ${CMAKE_SOURCE_DIR}/core/*.h
  ${CMAKE_SOURCE_DIR}/wasm/*.c ${CMAKE_SOURCE_DIR}/wasm/*.h ${CMAKE_SOURCE_DIR}/wasm/CMakeLists.txt
  ${CMAKE_SOURCE_DIR}/tests/test_kernels.c ${CMAKE_SOURCE_DIR}/tests/test_int8.c ${CMAKE_SOURCE_DIR}/tests/check.h)
set(SERCE_WASM_OUTPUTS
  ${SERCE_WASM_DIR}/serce-simd.js ${SERCE_WASM_DIR}/serce-simd.wasm
  ${SERCE_WASM_DIR}/serce-plain.js ${SERCE_WASM_DIR}/serce-plain.wasm
  ${SERCE_WASM_DIR}/test_kernels-simd.js ${SERCE_WASM_DIR}/test_int8-simd.js)

add_custom_command(
  OUTPUT ${SERCE_WASM_OUTPUTS}
  COMMAND ${SERCE_EM_ENV} ${SERCE_EMCMAKE} ${CMAKE_COMMAND} -S ${CMAKE_SOURCE_DIR}/wasm -B ${SERCE_WASM_DIR}
          -DCMAKE_BUILD_TYPE=Release
  COMMAND ${SERCE_EM_ENV} ${CMAKE_COMMAND} --build ${SERCE_WASM_DIR} --parallel 2
  DEPENDS ${SERCE_WASM_DEPS}
  COMMENT "Building the WebAssembly flavours (simd128 and plain) with Emscripten"
  VERBATIM)

file(GLOB_RECURSE SERCE_WWW_FILES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/www/*)
add_custom_command(
  OUTPUT ${SERCE_SITE_DIR}/.stamp
  COMMAND ${SERCE_NODE} ${CMAKE_SOURCE_DIR}/wasm/assemble-site.mjs
          --www ${CMAKE_SOURCE_DIR}/www --wasm ${SERCE_WASM_DIR} --out ${SERCE_SITE_DIR}
  DEPENDS ${SERCE_WASM_OUTPUTS} ${SERCE_WWW_FILES} ${CMAKE_SOURCE_DIR}/wasm/assemble-site.mjs
  COMMENT "Assembling the static site in ${SERCE_SITE_DIR}"
  VERBATIM)
add_custom_target(site ALL DEPENDS ${SERCE_SITE_DIR}/.stamp)
set(SERCE_SITE_BUILT ON)
