"""Helpers of ``benchmarks/device_check.py``: the one unattended GPU check.

The parent process (``device_check.py``) imports only the standard library, so it cannot hang in
CUDA: every measurement runs in a child process with a timeout.

Parent side (standard library only):

- ``budget``      time shares per section; the child runner (a timeout stops the process group)
- ``context``     sizes (full / dry run), folders, the children's environment
- ``sections``    ``environment``, ``cuda_tests``, ``frontend``
- ``train_step``  the ``train_step`` section: one child per model and mode group
- ``training``    ``train_e2e`` (the ``audiokit train`` CLI) and ``ddp`` (``torchrun``)
- ``report``      the JSON document and its Markdown tables

Children (torch here): ``env_worker``, ``step_worker``, ``frontend_worker``, ``ddp_worker``, all
reading their spec and writing their records through ``child``.

Notebook: 14_comparing_backbones
"""
