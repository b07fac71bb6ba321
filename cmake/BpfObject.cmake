# bpf_object(NAME SOURCE): compiles SOURCE (C, for the BPF target) with clang into
# NAME.bpf.o and generates the libbpf skeleton NAME.skel.h with bpftool. Link against the
# interface target NAME_skel to get the skeleton's include directory.
find_program(BPF_CLANG clang REQUIRED)
find_program(BPFTOOL bpftool PATHS /usr/sbin /sbin REQUIRED)

function(bpf_object name source)
    set(obj ${CMAKE_CURRENT_BINARY_DIR}/${name}.bpf.o)
    set(skel ${CMAKE_CURRENT_BINARY_DIR}/${name}.skel.h)
    get_filename_component(src ${source} ABSOLUTE)
    add_custom_command(OUTPUT ${obj}
        COMMAND ${BPF_CLANG} -g -O2 -target bpf -D__TARGET_ARCH_x86 -Wall -Werror
            -I${PROJECT_SOURCE_DIR}/bpf/include -I${PROJECT_SOURCE_DIR}/bpf
            -I/usr/include/${CMAKE_LIBRARY_ARCHITECTURE}
            -MD -MF ${obj}.d -c ${src} -o ${obj}
        DEPENDS ${src}
        DEPFILE ${obj}.d
        COMMENT "BPF ${name}")
    add_custom_command(OUTPUT ${skel}
        COMMAND ${BPFTOOL} gen skeleton ${obj} name ${name} > ${skel}
        DEPENDS ${obj}
        COMMENT "BPF skeleton ${name}")
    add_custom_target(${name}_skel_gen DEPENDS ${skel})
    add_library(${name}_skel INTERFACE)
    target_include_directories(${name}_skel INTERFACE ${CMAKE_CURRENT_BINARY_DIR})
    add_dependencies(${name}_skel ${name}_skel_gen)
endfunction()
