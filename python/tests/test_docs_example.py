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
