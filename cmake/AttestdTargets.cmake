# Helpers that build every target the same way: warnings, sanitizers, test labels.

# clang 16 reports __cpp_concepts 201907L, so libstdc++ 12 hides <expected> from it although the
# compiler handles it; the fuzz build (clang++-16) needs it on every target.
function(attestd_clang_expected_workaround target)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 17)
    target_compile_options(${target} PRIVATE -Wno-macro-redefined -D__cpp_concepts=202002L)
  endif()
endfunction()

function(attestd_apply_flags target)
  attestd_clang_expected_workaround(${target})
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
    -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Woverloaded-virtual
    -Wimplicit-fallthrough)
  if(ATTESTD_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(ATTESTD_FUZZ)
    # -fno-sanitize-recover: undefined behaviour is a crash the fuzzer keeps, not a line on stderr
    # that the run survives.
    target_compile_options(${target} PRIVATE -fsanitize=fuzzer-no-link,address,undefined
                                             -fno-sanitize-recover=all -fno-omit-frame-pointer)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  elseif(ATTESTD_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined -fno-omit-frame-pointer
                                             -fno-sanitize-recover=all)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
endfunction()

# attestd_library(NAME SOURCES... [DEPS ...])
function(attestd_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR}/include)
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
  attestd_apply_flags(${name})
endfunction()

# attestd_executable(NAME SOURCES... [DEPS ...])
function(attestd_executable name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
  attestd_apply_flags(${name})
endfunction()

# attestd_unit_test(NAME SOURCES... [DEPS ...] [LABELS ...]); LABELS are documentation only.
# One gtest binary; every TEST becomes its own ctest entry so failures are named.
function(attestd_unit_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main)
  set_property(GLOBAL APPEND PROPERTY ATTESTD_UNIT_TEST_TARGETS ${name})
  target_compile_definitions(${name} PRIVATE
    ATTESTD_SHARED_TESTDATA="${ATTESTD_SHARED_TESTDATA}"
    ATTESTD_TEST_DATA="${PROJECT_SOURCE_DIR}/tests/data"
    ATTESTD_FUZZ_CORPUS="${PROJECT_SOURCE_DIR}/fuzz/corpus")
  attestd_apply_flags(${name})
  # gtest_discover_tests writes properties unquoted, so a list of labels would break apart: tests
  # carry the "unit" label and the binary's name as prefix (ctest -R evidence_tpm_test).
  if(NOT ATTESTD_UNIT_TESTS)
    # Defined (the tests' CMakeLists add to it) but neither built by default nor registered.
    set_target_properties(${name} PROPERTIES EXCLUDE_FROM_ALL TRUE)
  elseif(ATTESTD_UNIT_TEST_PER_BINARY)
    add_test(NAME ${name} COMMAND ${name})
    set_tests_properties(${name} PROPERTIES LABELS unit)
  else()
    gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 TEST_PREFIX "${name}." PROPERTIES LABELS unit)
  endif()
endfunction()

# attestd_fuzz_test(NAME SOURCE [DEPS ...]): a libFuzzer target whose seed corpus is
# fuzz/corpus/NAME. With ATTESTD_FUZZ (clang >= 16) it is a libFuzzer binary for scripts/fuzz.sh;
# otherwise the same entry point is linked with a replay driver and every seed (including each
# crash ever found) is run through it as a ctest regression test.
function(attestd_fuzz_test name source)
  cmake_parse_arguments(ARG "" "" "DEPS" ${ARGN})
  if(ATTESTD_FUZZ)
    add_executable(${name} ${source})
    target_link_libraries(${name} PRIVATE ${ARG_DEPS})
    attestd_clang_expected_workaround(${name})
    target_compile_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all)
    target_link_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined)
    set_property(GLOBAL APPEND PROPERTY ATTESTD_UNIT_TEST_TARGETS ${name})
    if(ATTESTD_TESTS)
      # The sanitized CI build: every seed once through the instrumented target (-runs=0 executes
      # the corpus and exits), beside the timed fuzzing of scripts/fuzz.sh.
      add_test(NAME fuzz_replay.${name}
               COMMAND ${name} -runs=0 ${PROJECT_SOURCE_DIR}/fuzz/corpus/${name})
      set_tests_properties(fuzz_replay.${name} PROPERTIES LABELS "fuzz-replay")
    endif()
  elseif(ATTESTD_TESTS)
    add_executable(${name}_replay ${source} ${PROJECT_SOURCE_DIR}/fuzz/replay_main.cpp)
    target_link_libraries(${name}_replay PRIVATE ${ARG_DEPS})
    attestd_apply_flags(${name}_replay)
    set_property(GLOBAL APPEND PROPERTY ATTESTD_UNIT_TEST_TARGETS ${name}_replay)
    add_test(NAME fuzz_replay.${name}
             COMMAND ${name}_replay ${PROJECT_SOURCE_DIR}/fuzz/corpus/${name})
    set_tests_properties(fuzz_replay.${name} PROPERTIES LABELS "fuzz-replay")
  endif()
endfunction()
