"""Developer tooling shared by ``tests/`` and ``scripts/``, so that scripts never import ``tests/``.

Not part of the deployed bot (not in the installed packages): nothing in ``vntext``, ``policy_kb``,
``lead_store``, ``bot``, ``console`` or ``actions`` imports it (``tests/test_layers.py``).

- :mod:`devtools.servers`       -- the real action + Rasa servers as subprocesses (``LiveBot``),
  ``free_port``, ``wait_http``, ``ensure_model``.
- :mod:`devtools.answer_sim`     -- the answer action in one process (NLU parse, routes, slots carried).
- :mod:`devtools.harden_report` -- the hardening suite's figures table and verdict (``make harden``).
"""
