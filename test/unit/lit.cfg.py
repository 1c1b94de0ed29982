# lit configuration of lbc's GoogleTest unit tests: every test case of every
# *Tests executable in the unit build directory is one lit test.
import lit.formats

config.name = "lbc-unit"
config.suffixes = []
config.test_source_root = config.lbc_unit_test_dir
config.test_exec_root = config.lbc_unit_test_dir
config.test_format = lit.formats.GoogleTest(".", "Tests")
