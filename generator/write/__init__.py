"""Stage 4, writing: the rendered files into the output folder. Only changed files are
rewritten, each atomically; a new folder appears whole; the manifest lists what sdkgen wrote,
and nothing else there is touched. `stale_files` is what `sdkgen check` reports.

The last stage: what it hands on is the folder on disk.
"""

from generator.write.output import stale_files, write_atomic, write_output

__all__ = ["stale_files", "write_atomic", "write_output"]
