"""Korean developer-project matching embeddings: a DVC + Hydra pipeline.

``pipeline.stages``: one thin module per DVC stage (validate, generate, split, prepare_model, train, evaluate,
export), which reads its paths and params and wires the domain packages: ``synth`` (catalog, Korean texts,
rules, the pair generator), ``pairs`` (a user's files, the split), ``models`` (base models and model
folders), ``training``, ``evaluation``, ``release`` (ONNX, parity, card, manifest, plots) and ``serving``
(the matcher behind ``python -m pipeline.match``). ``config`` owns the schema and the paths; ``io``,
``runtime``, ``cpu`` and ``progress`` the writing, stage set-up, precision and progress output.
"""
