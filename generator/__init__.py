"""sdkgen: generate a typed Python client for the X API v2 from its OpenAPI document."""

__version__ = "0.1.0"
