# lit configuration of lbc's FileCheck tests. Unit tests live in unit/ with
# their own configuration.
import os
import sys

import lit.formats
from lit.llvm import llvm_config

config.name = "lbc"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.lbc_obj_root, "test")
config.excludes = ["CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py", "unit",
                   "conformance"]

llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.add_tool_substitutions(["lbc-opt", "lbc-run", "lbc-eval"], [config.lbc_tools_dir])
config.substitutions.append(("%lbc_src_root", config.lbc_src_root))
# The python that runs lit (Debian's /usr/bin/python3, which has numpy).
config.substitutions.append(("%python", sys.executable))
config.substitutions.append(("%runtime_dir", os.path.join(config.lbc_obj_root, "test", "runtime")))
config.substitutions.append(("%bin_dir", config.lbc_tools_dir))
config.substitutions.append(("%llvm_tools_dir", config.llvm_tools_dir))
# MLIR's runner libraries sit beside the LLVM tools' lib/.
config.substitutions.append(
    ("%llvm_lib_dir", os.path.join(os.path.dirname(config.llvm_tools_dir), "lib")))
# npm packages installed by scripts/install-npm-models.sh (ONNX Runtime, models).
config.substitutions.append(("%npm_modules", config.lbc_npm_modules))
# --cpu=aarch64 artifacts run under qemu-user with the cross-built runtime
# (cmake/Aarch64Runtime.cmake); tests that need it say REQUIRES: qemu-aarch64.
import shutil
qemu = shutil.which("qemu-aarch64")
aarch64_run = os.path.join(config.lbc_aarch64_bin_dir, "lbc-run") if config.lbc_aarch64_bin_dir else ""
if qemu and aarch64_run and os.path.exists(aarch64_run):
    config.available_features.add("qemu-aarch64")
    config.substitutions.append(
        ("%aarch64_run", f"{qemu} -L /usr/aarch64-linux-gnu {aarch64_run}"))
# Tests that run artifacts built for an AVX-512 CPU other than the host's
# (--cpu=x86-64-v4) say REQUIRES: x86-avx512.
def host_cpu_flags():
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()
if {"avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"} <= host_cpu_flags():
    config.available_features.add("x86-avx512")
# Tests of the weights' move into transparent huge pages (runtime/core/
# HugeWeights.cpp) say REQUIRES: transparent-huge-pages: the kernel offers
# them to mappings that ask (mode "always" or "madvise").
try:
    with open("/sys/kernel/mm/transparent_hugepage/enabled") as thp:
        mode = thp.read()
    if "[always]" in mode or "[madvise]" in mode:
        config.available_features.add("transparent-huge-pages")
except OSError:
    pass
