// Part of lbc, the low-bit compiler.
// The microkernels' bitcode for each target architecture (built by
// lib/Target/CMakeLists.txt), embedded in the compiler; Ukernels.cpp reads
// each between its begin and end symbols.
        .section .rodata.lbc_ukernels,"a"
        .p2align 4
        .globl lbc_ukernel_bitcode_x86_64_begin
        .hidden lbc_ukernel_bitcode_x86_64_begin
lbc_ukernel_bitcode_x86_64_begin:
        .incbin LBC_UKERNEL_BITCODE_X86_64
        .globl lbc_ukernel_bitcode_x86_64_end
        .hidden lbc_ukernel_bitcode_x86_64_end
lbc_ukernel_bitcode_x86_64_end:
        .p2align 4
        .globl lbc_ukernel_bitcode_aarch64_begin
        .hidden lbc_ukernel_bitcode_aarch64_begin
lbc_ukernel_bitcode_aarch64_begin:
        .incbin LBC_UKERNEL_BITCODE_AARCH64
        .globl lbc_ukernel_bitcode_aarch64_end
        .hidden lbc_ukernel_bitcode_aarch64_end
lbc_ukernel_bitcode_aarch64_end:
        .section .note.GNU-stack,"",@progbits
