"""plantloop — closed-loop energy and process optimization engine.

The engine package. Submodules are imported on demand so that pure parts (config,
validation, interlocks) never pull in OPC UA or the scheduler.
"""

__version__ = "0.1.0"
