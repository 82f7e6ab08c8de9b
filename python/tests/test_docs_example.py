"""The Python example of docs/embedding.md runs as written."""

import os
import re

DOC = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "embedding.md")


def test_embedding_guide_example(capsys):
    text = open(DOC).read()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert blocks, "no python example in docs/embedding.md"
    namespace = {}
    exec(compile(blocks[0], "docs/embedding.md", "exec"), namespace)
    out = capsys.readouterr().out
    assert "['linear']" in out
    assert "[0.  0.5 1.  1.5 2.  3.  4.  6. ]" in out
    assert namespace["y"].shape == (3, 16)


def test_torch_example(capsys):
    import pytest
    pytest.importorskip("torch", reason="PyTorch (Debian's python3-torch) is not installed")
    blocks = re.findall(r"```python\n(.*?)```", open(DOC).read(), re.S)
    torch_blocks = [b for b in blocks if "lowbit.torch" in b]
    assert torch_blocks, "no lowbit.torch example in docs/embedding.md"
    namespace = {}
    exec(compile(torch_blocks[0], "docs/embedding.md", "exec"), namespace)
    out = capsys.readouterr().out
    assert "QuantLinear(in_features=256, out_features=512, scheme=gptq_u4_g128, target=host)" in out
    assert tuple(namespace["y"].shape) == (4, 256)
