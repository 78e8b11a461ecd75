"""Whether a build log is a CUDA extension built against torch: a scan of its text alone.

Every failed install's log is asked this (`commands.torch.cuda_build_target`), so it stands apart from
`torchcheck`, whose CUDA tables and GPU findings (~11 ms of imports) only such a log needs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["is_cuda_extension_build"]

# Lines of a build log that show a CUDA extension being built against torch:
#   building 'flash_attn_2_cuda' extension ... /usr/local/cuda/bin/nvcc -c csrc/flash_attn/...
#   File ".../torch/utils/cpp_extension.py", line 2103, in _get_cuda_arch_flags
#   OSError: CUDA_HOME environment variable is not set. Please set it to your CUDA install root.
_CUDA_BUILD = re.compile(
    r"torch[/\\]utils[/\\]cpp_extension\.py|\bCUDAExtension\b|/nvcc\b|\bnvcc\b.*\s-c\s|CUDA_HOME|"
    r"The detected CUDA version \(",
)


def is_cuda_extension_build(lines: Iterable[str]) -> bool:
    """Whether a failed build's log is a CUDA extension built with torch's cpp_extension (flash-attn,
    xformers, apex...), so that the torch it was building for is worth saying."""
    return any(_CUDA_BUILD.search(line) for line in lines)
