"""Korean developer-project matching embeddings: a DVC + Hydra pipeline.

Stage modules (one per DVC stage) live directly in this package; domain logic lives in
``pipeline.synth`` (catalog, templates, rules, sampling) and ``pipeline.models``;
typed configuration schemas live in ``pipeline.config``.
"""
