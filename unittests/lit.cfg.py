# -*- Python -*-
# Runs every GoogleTest binary under the build's unittests/ as a lit suite.
import os

import lit.formats

config.name = "LOWBIT-Unit"
config.suffixes = []
config.test_exec_root = os.path.join(config.lowbit_obj_root, "unittests")
config.test_source_root = config.test_exec_root
config.test_format = lit.formats.GoogleTest(".", "Tests")
# The tests find ../shared/golden relative to the source tree.
config.environment["LOWBIT_SOURCE_DIR"] = config.lowbit_src_root
