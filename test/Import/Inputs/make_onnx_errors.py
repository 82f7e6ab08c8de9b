#!/usr/bin/env python3
"""Writes ONNX models the importer must refuse (onnx-errors.test)."""
import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper, save

out = sys.argv[1]
x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 4])
y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
w = numpy_helper.from_array(np.ones((4, 4), np.float32), "w")
g = helper.make_graph([helper.make_node("MatMul", ["x", "w"], ["m"], name="mm"),
                       helper.make_node("Celu", ["m"], ["y"], name="odd")], "g", [x], [y], [w])
save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), out + "/unknown.onnx")
xs = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4])
g = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g", [xs], [y])
save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), out + "/symbolic.onnx")
g = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g", [x], [y])
save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 8)]), out + "/opset.onnx")
# Integer initializers as operands of a computation (a fuzzer finding: they
# were materialized as i64 tensors, which the f32 ops do not take).
iw = numpy_helper.from_array(np.ones((2, 4), np.int64), "iw")
g = helper.make_graph([helper.make_node("Softmax", ["iw"], ["y"], name="sm")], "g", [x], [y], [iw])
save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), out + "/int-softmax.onnx")
g = helper.make_graph([helper.make_node("Concat", ["x", "iw"], ["y"], name="cat", axis=0)], "g", [x], [y], [iw])
save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), out + "/int-concat.onnx")
