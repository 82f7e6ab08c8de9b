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
# Quantization operators: QuantizeLinear's codes read by an operator other
# than DequantizeLinear, DequantizeLinear of floats, a scale of the wrong
# shape, MatMulNBits with an unsupported width and with g_idx.
s = numpy_helper.from_array(np.array(0.1, np.float32), "s")
def q_model(nodes, name, inits, opset=13):
    g = helper.make_graph(nodes, "g", [x], [y], [s] + inits)
    ops = [helper.make_opsetid("", opset), helper.make_opsetid("com.microsoft", 1)]
    save(helper.make_model(g, opset_imports=ops), out + "/" + name + ".onnx")
q_model([helper.make_node("QuantizeLinear", ["x", "s"], ["q"], name="q"),
         helper.make_node("Relu", ["q"], ["y"], name="relu")], "q-relu", [])
q_model([helper.make_node("DequantizeLinear", ["x", "s"], ["y"], name="dq")], "dq-float", [])
s3 = numpy_helper.from_array(np.ones(3, np.float32), "s3")
wq = numpy_helper.from_array(np.ones((4, 4), np.int8), "wq")
q_model([helper.make_node("DequantizeLinear", ["wq", "s3"], ["d"], name="dq3", axis=1),
         helper.make_node("MatMul", ["x", "d"], ["y"])], "dq-scale", [s3, wq])
blob = numpy_helper.from_array(np.zeros((4, 1, 6), np.uint8), "blob")
sc = numpy_helper.from_array(np.ones(4, np.float32), "sc")
q_model([helper.make_node("MatMulNBits", ["x", "blob", "sc"], ["y"], name="nb3", domain="com.microsoft",
                          K=4, N=4, bits=3, block_size=16)], "nbits-3", [blob, sc])
blob = numpy_helper.from_array(np.zeros((4, 1, 8), np.uint8), "blob")
gi = numpy_helper.from_array(np.zeros(4, np.int32), "gi")
q_model([helper.make_node("MatMulNBits", ["x", "blob", "sc", "", "gi"], ["y"], name="nbg", domain="com.microsoft",
                          K=4, N=4, bits=4, block_size=16)], "nbits-gidx", [blob, sc, gi])
# int8 codes with a uint8 zero point of 200 (ONNX wants one type for both).
zb = numpy_helper.from_array(np.array(200, np.uint8), "zb")
q_model([helper.make_node("DequantizeLinear", ["wq", "s", "zb"], ["d"], name="dqz"),
         helper.make_node("MatMul", ["x", "d"], ["y"])], "dq-zero-range", [wq, zb])
# Softmax of an empty constant (a fuzzer finding: a division by zero).
ez = numpy_helper.from_array(np.zeros((2, 0), np.float32), "ez")
g = helper.make_graph([helper.make_node("Softmax", ["ez"], ["y"], name="sm0")], "g", [x], [y], [ez])
save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), out + "/softmax-empty.onnx")
