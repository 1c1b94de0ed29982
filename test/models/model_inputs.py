"""Seeded random inputs for an ONNX model's signature, shared by the real-model
tests (compare_with_ort.py) and the model benchmarks (bench/models.py)."""

import os

import numpy as np
import onnx


def parse_bindings(flags):
    """--input-shape=NAME=D0,D1 / --dim=NAME=SIZE flags -> (shapes, dims)."""
    shapes, dims = {}, {}
    for flag in flags:
        key, _, value = flag.partition("=")
        name, _, text = value.partition("=")
        if key == "--input-shape":
            shapes[name] = [int(d) for d in text.split(",")]
        elif key == "--dim":
            dims[name] = int(text)
    return shapes, dims


def make_inputs(model_path, flags, work, prefix="input", seed=0, values=None):
    """Writes one .npy per graph input (normal floats, small int64s; inputs
    named in `values` are filled with the given number) and returns
    [(input name, path)] in signature order."""
    values = values or {}
    shapes, dims = parse_bindings(flags)
    model = onnx.load(model_path, load_external_data=False)
    initializers = {t.name for t in model.graph.initializer}
    rng = np.random.default_rng(seed)
    feeds = []
    for value in model.graph.input:
        if value.name in initializers:
            continue
        tensor_type = value.type.tensor_type
        shape = shapes.get(value.name) or [
            d.dim_value if d.HasField("dim_value") else dims[d.dim_param]
            for d in tensor_type.shape.dim]
        if value.name in values and tensor_type.elem_type == onnx.TensorProto.INT64:
            data = np.full(shape, values[value.name], dtype=np.int64)
        elif value.name in values:
            data = np.full(shape, values[value.name], dtype=np.float32)
        elif tensor_type.elem_type == onnx.TensorProto.FLOAT:
            data = rng.normal(size=shape).astype(np.float32)
        elif tensor_type.elem_type == onnx.TensorProto.INT64:
            data = rng.integers(0, 4, size=shape).astype(np.int64)
        else:
            raise ValueError(f"input {value.name}: unsupported element type "
                             f"{tensor_type.elem_type}")
        path = os.path.join(work, f"{prefix}_{len(feeds)}.npy")
        np.save(path, data)
        feeds.append((value.name, path))
    return feeds
