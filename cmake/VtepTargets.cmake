# Helpers that declare the project's libraries and unit tests once and, when
# OVSDB_VTEP_SANITIZERS is on, a second ASan+UBSan variant of each ("<name>_san").

set(VTEP_SANITIZER_FLAGS -fsanitize=address,undefined -fno-omit-frame-pointer
    -fno-sanitize-recover=all)
# GCC 12 reports false "maybe-uninitialized" warnings inside libstdc++ (std::function,
# std::regex) when ASan instruments it; the plain build keeps the warning.
set(VTEP_SANITIZER_COMPILE_FLAGS ${VTEP_SANITIZER_FLAGS} -Wno-maybe-uninitialized)

# vtep_library(NAME SOURCES ... [VTEP_LIBS our libraries ...] [LIBS external ...])
function(vtep_library name)
    cmake_parse_arguments(ARG "" "" "SOURCES;VTEP_LIBS;LIBS" ${ARGN})
    add_library(${name} STATIC ${ARG_SOURCES})
    target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR} ${PROJECT_SOURCE_DIR}/ovsdb-vtep)
    target_link_libraries(${name} PUBLIC ${ARG_VTEP_LIBS} ${ARG_LIBS})
    if(OVSDB_VTEP_SANITIZERS)
        add_library(${name}_san STATIC ${ARG_SOURCES})
        target_include_directories(${name}_san PUBLIC ${PROJECT_SOURCE_DIR} ${PROJECT_SOURCE_DIR}/ovsdb-vtep)
        target_compile_options(${name}_san PRIVATE ${VTEP_SANITIZER_COMPILE_FLAGS})
        set(san_libs)
        foreach(lib ${ARG_VTEP_LIBS})
            list(APPEND san_libs ${lib}_san)
        endforeach()
        target_link_libraries(${name}_san PUBLIC ${san_libs} ${ARG_LIBS})
    endif()
endfunction()

# Catch2's main, compiled once per variant and linked into every test executable.
function(vtep_catch_main)
    if(TARGET vtep_catch_main)
        return()
    endif()
    set(main ${PROJECT_SOURCE_DIR}/test/unit/catch_main.cpp)
    add_library(vtep_catch_main OBJECT ${main})
    target_link_libraries(vtep_catch_main PUBLIC Catch2::Catch2)
    if(OVSDB_VTEP_SANITIZERS)
        add_library(vtep_catch_main_san OBJECT ${main})
        target_compile_options(vtep_catch_main_san PRIVATE ${VTEP_SANITIZER_COMPILE_FLAGS})
        target_link_libraries(vtep_catch_main_san PUBLIC Catch2::Catch2)
    endif()
endfunction()

# vtep_unit_test(NAME SOURCES ... [VTEP_LIBS ...] [LIBS ...])
# Every Catch2 TEST_CASE becomes one ctest test named "unit.<case>" (and "asan.<case>").
function(vtep_unit_test name)
    cmake_parse_arguments(ARG "" "" "SOURCES;VTEP_LIBS;LIBS" ${ARGN})
    vtep_catch_main()
    add_executable(${name} $<TARGET_OBJECTS:vtep_catch_main> ${ARG_SOURCES})
    target_link_libraries(${name} PRIVATE ${ARG_VTEP_LIBS} ${ARG_LIBS} Catch2::Catch2)
    target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/test/unit)
    target_compile_definitions(${name} PRIVATE VTEP_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
        VTEP_BINARY_DIR="${PROJECT_BINARY_DIR}")
    catch_discover_tests(${name} TEST_PREFIX "unit.${name}." PROPERTIES LABELS unit)
    if(OVSDB_VTEP_SANITIZERS)
        add_executable(${name}_san $<TARGET_OBJECTS:vtep_catch_main_san> ${ARG_SOURCES})
        set(san_libs)
        foreach(lib ${ARG_VTEP_LIBS})
            list(APPEND san_libs ${lib}_san)
        endforeach()
        target_compile_options(${name}_san PRIVATE ${VTEP_SANITIZER_COMPILE_FLAGS})
        target_link_options(${name}_san PRIVATE ${VTEP_SANITIZER_FLAGS})
        target_link_libraries(${name}_san PRIVATE ${san_libs} ${ARG_LIBS} Catch2::Catch2)
        target_include_directories(${name}_san PRIVATE ${PROJECT_SOURCE_DIR}/test/unit)
        target_compile_definitions(${name}_san PRIVATE VTEP_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
            VTEP_BINARY_DIR="${PROJECT_BINARY_DIR}")
        catch_discover_tests(${name}_san TEST_PREFIX "asan.${name}." PROPERTIES LABELS asan)
    endif()
endfunction()
