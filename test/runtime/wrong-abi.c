/* A shared library that looks like an lbc artifact of another ABI version. */
unsigned lbc_abi_version(void) { return 99; }
const char lbc_artifact_info[] = "lbc-artifact 99\n";
void lbc_run(void **descriptors) { (void)descriptors; }
