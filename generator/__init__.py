"""sdkgen: generate a typed Python client for the X API v2 from its OpenAPI document.

The stages, one package each: `load` -> `model` -> `render` -> `write`. `evolve` (spec diff,
changelog, fetch-spec) works beside them, and `cli` runs them. Every stage shares `errors`
(the one error type) and `encode` (the only way spec text reaches generated files).
"""

__version__ = "0.1.0"
