// Part of lbc, the low-bit compiler.
// The microkernels' bitcode (built by lib/Target/CMakeLists.txt), embedded
// in the compiler; Ukernels.cpp reads it between the two symbols.
        .section .rodata.lbc_ukernels,"a"
        .p2align 4
        .globl lbc_ukernel_bitcode_x86_64_begin
        .hidden lbc_ukernel_bitcode_x86_64_begin
lbc_ukernel_bitcode_x86_64_begin:
        .incbin LBC_UKERNEL_BITCODE_X86_64
        .globl lbc_ukernel_bitcode_x86_64_end
        .hidden lbc_ukernel_bitcode_x86_64_end
lbc_ukernel_bitcode_x86_64_end:
        .section .note.GNU-stack,"",@progbits
