"""Stage 3, rendering: `Api` to the package's files through the jinja2 templates in
`templates/`, with the hand-written runtime copied in, all formatted by ruff and marked
generated. Spec text reaches a file only through `generator.encode`.

Writes nothing: hands `write` every file as bytes, keyed by its relative path.
"""

from generator.render.package import RenderOptions, render_package

__all__ = ["RenderOptions", "render_package"]
