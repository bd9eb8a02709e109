"""Every notebook under notebooks/ runs top to bottom in a fresh kernel.

The kernel is this interpreter (``sys.executable -m ipykernel_launcher``) whatever kernelspecs the
machine has registered: the kernel manager below makes its own spec instead of looking one up, so a
user-level ``python3`` spec pointing at another Python cannot be picked up, and nothing needs to be
registered (CI has no kernelspecs).
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))
KERNEL = "python3"


def test_there_are_notebooks() -> None:
    assert NOTEBOOKS, "no notebooks under notebooks/"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_is_stored_without_outputs(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not cell.outputs, f"{path.name}: cell {cell.id} has stored outputs"
            assert cell.execution_count is None, (
                f"{path.name}: cell {cell.id} has an execution count"
            )


class ThisInterpreterKernelManager(AsyncKernelManager):
    """Starts the ``python3`` kernel with the interpreter running the tests."""

    @property
    def kernel_spec(self) -> KernelSpec:
        return KernelSpec(
            name=KERNEL,
            argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            display_name=f"Python {sys.version_info.major} ({sys.executable})",
            language="python",
        )


def test_kernel_is_this_interpreter() -> None:
    km = ThisInterpreterKernelManager(kernel_name=KERNEL)
    assert km.format_kernel_cmd()[0] == sys.executable


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs(path: Path, tmp_path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        kernel_name=KERNEL,
        kernel_manager_class=ThisInterpreterKernelManager,
        timeout=600,
        resources={"metadata": {"path": str(tmp_path)}},  # the kernel's cwd
    )
    client.execute()  # raises CellExecutionError, naming the cell, on the first failing cell
    errors = [
        output
        for cell in nb.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "error"
    ]
    assert not errors
